import type { Server as HttpServer } from 'node:http';
import { parse as parseCookies } from 'cookie';
import { Server, type Socket } from 'socket.io';
import type { Services } from '../composition-root.js';
import { isStorableText } from '../contracts/events.js';
import { NotFoundError } from '../errors/app-error.js';
import type { ExperimentLiveState } from '../features/decisions/results-service.js';
import type { Experiment } from '../features/experiments/experiment-store.js';
import type { Principal } from '../http/auth.js';
import { isSameOrigin } from '../http/same-origin.js';
import { ACCESS_COOKIE } from '../http/session-cookies.js';
import { currentActor } from '../request-context.js';
import { connectAdapter } from './adapter.js';
import { Coalescer } from './coalescer.js';
import {
  type ActorView,
  type ClientToServerEvents,
  type DecisionUpdated,
  EXPERIMENT_ROOM_PREFIX,
  type ExperimentState,
  type ExperimentSummary,
  type ExperimentView,
  experimentRoom,
  type Joined,
  liveRoom,
  projectRoom,
  type RefusalCode,
  type Reply,
  type ServerToClientEvents,
  UNAUTHORIZED,
  type Viewer,
} from './contracts.js';
import { LiveStream } from './live-stream.js';

/** What a socket proved at its handshake (an API key, or a user's session), and who it is. */
type SocketData = (
  | { readonly kind: 'api_key'; readonly apiKey: string }
  | { readonly kind: 'session'; readonly sessionId: string; readonly userId: string }
) & { readonly viewer: Viewer };

type VibariantSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;

/** The actor of the request being served, as watchers see it. */
function actorView(): ActorView {
  const actor = currentActor();
  return actor ? { kind: actor.kind, label: actor.label } : null;
}

/** An experiment as it travels (dates as ISO strings). */
function experimentView(e: Experiment): ExperimentView {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: e.id,
    projectId: e.projectId,
    key: e.key,
    name: e.name,
    hypothesis: e.hypothesis,
    status: e.status,
    variants: e.variants.map((v) => ({ key: v.key, name: v.name })),
    primaryGoal: e.primaryGoal,
    banditMode: e.banditMode,
    allocation: { weights: e.allocation.weights, version: e.allocation.version },
    startedAt: iso(e.startedAt),
    stoppedAt: iso(e.stoppedAt),
    archivedAt: iso(e.archivedAt),
  };
}

/** The realtime layer of a server: its Socket.IO server, and how to stop it. */
export interface Realtime {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
  /** Stops pushing, disconnects the sockets and closes the HTTP server. */
  close(): Promise<void>;
}

/** Least time between two decisions pushed for one experiment, in milliseconds. */
export const DECISION_PUSH_INTERVAL_MS = 100;

/** Longest ID or key accepted in a command. */
const MAX_ID_LENGTH = 200;

/** An ID or key as a command may carry it: a non-empty, short, storable string. */
const isId = (value: unknown): value is string =>
  typeof value === 'string' &&
  value.length > 0 &&
  value.length <= MAX_ID_LENGTH &&
  isStorableText(value);

/** Commands a socket may send in a burst, and per second after it. */
const COMMAND_BURST = 20;
const COMMANDS_PER_SECOND = 10;
/** Refused commands after which a socket is disconnected. */
const MAX_REFUSED_COMMANDS = 100;

const refuse = (code: RefusalCode, message: string) =>
  ({ ok: false, error: { code, message } }) as const;

/** The API key a handshake carries: `auth.apiKey`, or `Authorization: Bearer` (servers). */
function apiKeyOf(socket: VibariantSocket): string | undefined {
  const fromAuth = (socket.handshake.auth as { apiKey?: unknown }).apiKey;
  if (typeof fromAuth === 'string') return fromAuth;
  const header = socket.handshake.headers.authorization;
  return typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
}

/**
 * Socket.IO on the HTTP server (same origin as the dashboard). A handshake authenticates with
 * the session cookie (from this server's own pages) or a secret API key, and is refused
 * (`connect_error` "unauthorized") otherwise, at every (re)connection. A socket joins a project's or an experiment's room only
 * if its credential, checked again at each join, reaches that project.
 */
export function attachRealtime(
  http: HttpServer,
  services: Services,
  options: { readonly redisUrl?: string | undefined } = {},
): Realtime {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>(http, {
    serveClient: false,
    maxHttpBufferSize: 65_536,
    // A client back within two minutes gets the facts it missed and its rooms again (after the
    // handshake's authentication, which runs again).
    connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: false },
  });
  const disconnectAdapter = connectAdapter(io, services.db, options.redisUrl, services.logger);

  /**
   * The principal of a socket's credential now: the key may have been revoked, the session
   * ended (an access token expiring does not end it).
   */
  const principalOf = async (data: SocketData): Promise<Principal | undefined> => {
    if (data.kind === 'api_key') {
      const key = await services.projects.apiKeyForSecret(data.apiKey);
      return key ? { kind: 'api_key', projectId: key.projectId, apiKeyId: key.id } : undefined;
    }
    const session = await services.accounts.liveSession(data.sessionId, data.userId);
    return session
      ? {
          kind: 'user',
          userId: session.user.id,
          email: session.user.email,
          sessionId: session.sessionId,
        }
      : undefined;
  };

  /** Whether the principal reaches the project (any role). */
  const reaches = async (principal: Principal, projectId: string): Promise<boolean> =>
    principal.kind === 'api_key'
      ? principal.projectId === projectId
      : (await services.accounts.roleOf(projectId, principal.userId)) !== undefined;

  io.use(async (socket, next) => {
    try {
      const apiKey = apiKeyOf(socket);
      if (apiKey) {
        const key = await services.projects.apiKeyForSecret(apiKey);
        if (!key) return next(new Error(UNAUTHORIZED));
        socket.data = {
          kind: 'api_key',
          apiKey,
          viewer: { id: key.id, kind: 'api_key', label: 'API key' },
        };
        return next();
      }
      // The session cookie, only from this server's own pages (no cross-site hijacking).
      const { headers } = socket.handshake;
      const accessToken = parseCookies(headers.cookie ?? '')[ACCESS_COOKIE];
      const session =
        accessToken && isSameOrigin(headers.origin, headers.host)
          ? await services.accounts.authenticate(accessToken)
          : undefined;
      if (!session) return next(new Error(UNAUTHORIZED));
      socket.data = {
        kind: 'session',
        sessionId: session.sessionId,
        userId: session.user.id,
        viewer: {
          id: session.user.id,
          kind: 'user',
          label: session.user.name ?? session.user.email,
        },
      };
      next();
    } catch (error) {
      next(error instanceof Error ? error : new Error(String(error)));
    }
  });

  // Each recomputed decision goes to the experiment's room: at most one per 100 ms per
  // experiment, and always the last one.
  // The project's room hears a summary of each, for lists.
  const decisions = new Coalescer<DecisionUpdated & { projectId: string }>(
    DECISION_PUSH_INTERVAL_MS,
    (id, { projectId, ...update }) => {
      io.to(experimentRoom(id)).emit('decision:updated', update);
      io.to(projectRoom(projectId)).emit('experiment:summarized', summaryOf(projectId, update));
    },
  );
  const { events } = services;
  /** Disconnects the sockets, on any server, whose handshake data match. */
  const disconnectWhere = (match: (data: SocketData) => boolean): void => {
    void io
      .fetchSockets()
      .then((sockets) => {
        for (const socket of sockets) if (match(socket.data)) socket.disconnect(true);
      })
      .catch((error: unknown) => services.logger.warn({ err: error }, 'could not end sockets'));
  };
  const live = new LiveStream((projectId, batch) =>
    io.to(liveRoom(projectId)).emit('events:received', {
      projectId,
      events: batch.events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      receivedPerSecond: batch.receivedPerSecond,
      sampled: batch.sampled,
    }),
  );
  const subscriptions = [
    events.on('events:ingested', ({ projectId, events: summaries }) =>
      live.add(projectId, summaries),
    ),
    events.on('decision:changed', (event) =>
      decisions.push(event.experimentId, {
        projectId: event.projectId,
        experimentId: event.experimentId,
        experimentKey: event.experimentKey,
        goal: event.goal,
        decision: event.decision,
      }),
    ),
    // Changes, with who made them (the request being served, if any).
    events.on('experiment:created', ({ experiment }) => {
      io.to(projectRoom(experiment.projectId)).emit('experiment:created', {
        experiment: experimentView(experiment),
        by: actorView(),
      });
    }),
    events.on('experiment:updated', ({ experiment }) => {
      io.to([projectRoom(experiment.projectId), experimentRoom(experiment.id)]).emit(
        'experiment:updated',
        { experiment: experimentView(experiment), by: actorView() },
      );
    }),
    events.on('allocation:changed', ({ experimentId, allocation }) => {
      io.to(experimentRoom(experimentId)).emit('allocation:changed', {
        experimentId,
        allocation: {
          weights: allocation.weights,
          version: allocation.version,
          updatedAt: allocation.updatedAt.toISOString(),
        },
        by: actorView(),
      });
    }),
    events.on('goal:updated', ({ projectId, goal }) => {
      io.to(projectRoom(projectId)).emit('goal:updated', {
        goal: { key: goal.key, status: goal.status, source: goal.source, label: goal.label },
        by: actorView(),
      });
    }),
    // Credentials that end take their connections with them, on every server.
    events.on('api-key:revoked', ({ apiKeyId }) =>
      disconnectWhere((d) => d.kind === 'api_key' && d.viewer.id === apiKeyId),
    ),
    events.on('member:removed', ({ userId }) =>
      disconnectWhere((d) => d.kind === 'session' && d.userId === userId),
    ),
    events.on('session:ended', ({ sessionId }) =>
      disconnectWhere((d) => d.kind === 'session' && d.sessionId === sessionId),
    ),
    events.on('notification:created', (n) => {
      io.to(projectRoom(n.projectId)).emit('notification:created', {
        id: n.id,
        projectId: n.projectId,
        experimentId: n.experimentId,
        kind: n.kind,
        payload: n.payload,
        createdAt: n.createdAt.toISOString(),
      });
    }),
    events.on('note:added', ({ experimentId, note }) => {
      io.to(experimentRoom(experimentId)).emit('note:added', {
        experimentId,
        note: { ...note, createdAt: note.createdAt.toISOString() },
      });
    }),
  ];

  /** Tells an experiment's room who is viewing it now (on every node: the adapter's view). */
  const announcePresence = async (experimentId: string): Promise<void> => {
    const room = experimentRoom(experimentId);
    const sockets = await io.in(room).fetchSockets();
    const viewers = new Map<string, Viewer>();
    for (const s of sockets) viewers.set(s.data.viewer.id, s.data.viewer);
    io.to(room).emit('presence:changed', { experimentId, viewers: [...viewers.values()] });
  };

  io.on('connection', (socket: VibariantSocket) => {
    services.metrics.sockets.inc();
    socket.once('disconnect', () => services.metrics.sockets.dec());
    // A token bucket per socket: a flood of commands is refused, then disconnected, before it
    // reaches the database.
    let tokens = COMMAND_BURST;
    let filledAt = Date.now();
    let refused = 0;
    const allowed = (): boolean => {
      const now = Date.now();
      tokens = Math.min(COMMAND_BURST, tokens + ((now - filledAt) / 1000) * COMMANDS_PER_SECOND);
      filledAt = now;
      if (tokens >= 1) {
        tokens--;
        return true;
      }
      if (++refused >= MAX_REFUSED_COMMANDS) socket.disconnect(true);
      return false;
    };

    /**
     * Checks the project ID and that the socket's credential (checked again: a session may have
     * ended, a key been revoked) reaches the project; the refusal, or undefined when it may go on.
     */
    const refusal = async (projectId: unknown): Promise<Reply<never> | undefined> => {
      if (!isId(projectId)) return refuse('invalid', 'projectId: must be a project ID');
      const principal = await principalOf(socket.data);
      if (!principal) {
        // After the acknowledgement has gone out.
        setImmediate(() => socket.disconnect(true));
        return refuse(
          'forbidden',
          socket.data.kind === 'api_key'
            ? 'This API key has been revoked'
            : 'Your session has ended: sign in again',
        );
      }
      if (!(await reaches(principal, projectId))) {
        return refuse('forbidden', 'This credential cannot access this project');
      }
      return undefined;
    };

    /** Runs a command handler and acknowledges its reply (a failure as a generic refusal). */
    const command =
      <P, R>(handler: (payload: Partial<P>) => Promise<Reply<R>>) =>
      (payload: P, ack: unknown) => {
        if (typeof ack !== 'function') return;
        if (!allowed()) {
          ack(refuse('rate_limited', 'Too many commands: slow down'));
          return;
        }
        handler((payload ?? {}) as Partial<P>).then(
          (reply) => ack(reply),
          (error: unknown) => {
            services.logger.error({ err: error }, 'realtime command failed');
            ack(refuse('invalid', 'The command failed'));
          },
        );
      };

    /** Joins the project's room `roomOf(projectId)`, if the credential reaches the project. */
    const joinRoom = (roomOf: (projectId: string) => string) =>
      command<{ projectId: unknown }, Joined>(async ({ projectId }) => {
        const refused = await refusal(projectId);
        if (refused) return refused;
        const room = roomOf(projectId as string);
        await socket.join(room);
        return { ok: true, room };
      });
    /** Leaves a project's room (no access check: leaving gives nothing away). */
    const leaveRoom = (roomOf: (projectId: string) => string) =>
      command<{ projectId: unknown }, Joined>(async ({ projectId }) => {
        if (!isId(projectId)) return refuse('invalid', 'projectId: must be a project ID');
        const room = roomOf(projectId);
        await socket.leave(room);
        return { ok: true, room };
      });

    socket.on('project:join', joinRoom(projectRoom));
    socket.on('project:leave', leaveRoom(projectRoom));

    socket.on(
      'experiment:join',
      command<{ projectId: unknown; experimentKey: unknown }, Joined & { state: ExperimentState }>(
        async ({ projectId, experimentKey }) => {
          if (!isId(experimentKey)) {
            return refuse('invalid', 'experimentKey: must be an experiment key');
          }
          const refused = await refusal(projectId);
          if (refused) return refused;
          let live: ExperimentLiveState;
          try {
            live = await services.results.liveState(projectId as string, experimentKey);
          } catch (error) {
            if (error instanceof NotFoundError) {
              return refuse('not_found', 'No such experiment in this project');
            }
            throw error;
          }
          const room = experimentRoom(live.experiment.id);
          await socket.join(room);
          void announcePresence(live.experiment.id);
          // As it travels: dates become ISO strings.
          const state = JSON.parse(JSON.stringify(live)) as ExperimentState;
          return { ok: true, room, state };
        },
      ),
    );

    socket.on('live:subscribe', joinRoom(liveRoom));
    socket.on('live:unsubscribe', leaveRoom(liveRoom));

    socket.on(
      'experiment:leave',
      command<{ projectId: unknown; experimentKey: unknown }, Joined>(
        async ({ projectId, experimentKey }) => {
          if (!isId(projectId) || !isId(experimentKey)) {
            return refuse('invalid', 'projectId and experimentKey: must be an ID and a key');
          }
          const experiment = await services.experimentStore.findByKey(projectId, experimentKey);
          const room = experiment ? experimentRoom(experiment.id) : undefined;
          if (!experiment || !room || !socket.rooms.has(room)) {
            return refuse('not_found', 'Not in this experiment’s room');
          }
          await socket.leave(room);
          void announcePresence(experiment.id);
          return { ok: true, room };
        },
      ),
    );

    // Presence of the experiments this socket was viewing, once it is gone.
    socket.on('disconnecting', () => {
      const watched = [...socket.rooms]
        .filter((room) => room.startsWith(EXPERIMENT_ROOM_PREFIX))
        .map((room) => room.slice(EXPERIMENT_ROOM_PREFIX.length));
      socket.once('disconnect', () => {
        for (const experimentId of watched) void announcePresence(experimentId);
      });
    });
  });

  return {
    io,
    async close() {
      for (const unsubscribe of subscriptions) unsubscribe();
      decisions.close();
      live.close();
      // Disconnects the sockets and stops the HTTP server.
      await io.close();
      await disconnectAdapter();
    },
  };
}

/** The short form of a decision that lists show. */
function summaryOf(projectId: string, update: DecisionUpdated): ExperimentSummary {
  const { variants } = update.decision;
  return {
    projectId,
    experimentId: update.experimentId,
    experimentKey: update.experimentKey,
    goal: update.goal,
    status: update.decision.status,
    srmDetected: update.decision.srm.detected,
    visitors: variants.reduce((n, v) => n + v.visitors, 0),
    conversions: variants.reduce((n, v) => n + v.conversions, 0),
  };
}
