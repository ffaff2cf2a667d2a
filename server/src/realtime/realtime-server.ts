import type { Server as HttpServer } from 'node:http';
import { parse as parseCookies } from 'cookie';
import { Server, type Socket } from 'socket.io';
import type { Services } from '../composition-root.js';
import type { Principal } from '../http/auth.js';
import { ACCESS_COOKIE } from '../http/session-cookies.js';
import {
  type ClientToServerEvents,
  experimentRoom,
  type Joined,
  projectRoom,
  type Reply,
  type ServerToClientEvents,
  UNAUTHORIZED,
} from './contracts.js';

/** What a socket proved at its handshake. */
interface SocketData {
  readonly credential: { readonly apiKey: string } | { readonly accessToken: string };
}

type VibariantSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;

/** Longest ID or key accepted in a command. */
const MAX_ID_LENGTH = 200;

const refuse = (code: 'invalid' | 'forbidden' | 'not_found', message: string) =>
  ({ ok: false, error: { code, message } }) as const;

/** The API key a handshake carries: `auth.apiKey`, or `Authorization: Bearer` (servers). */
function apiKeyOf(socket: VibariantSocket): string | undefined {
  const fromAuth = (socket.handshake.auth as { apiKey?: unknown }).apiKey;
  if (typeof fromAuth === 'string') return fromAuth;
  const header = socket.handshake.headers.authorization;
  return typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
}

/**
 * Whether a handshake that would use the session cookie comes from this server's own pages: a
 * browser sends the page's Origin, and another site's page must not ride on the cookie.
 */
function fromOwnOrigin(socket: VibariantSocket): boolean {
  const origin = socket.handshake.headers.origin;
  if (origin === undefined) return true; // not a browser
  try {
    return new URL(origin).host === socket.handshake.headers.host;
  } catch {
    return false;
  }
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
): Server<ClientToServerEvents, ServerToClientEvents, object, SocketData> {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>(http, {
    serveClient: false,
    maxHttpBufferSize: 65_536,
  });

  /** The principal of a socket's credential now (a session may have ended since). */
  const principalOf = async (data: SocketData): Promise<Principal | undefined> => {
    if ('apiKey' in data.credential) {
      const key = await services.projects.apiKeyForSecret(data.credential.apiKey);
      return key ? { kind: 'api_key', projectId: key.projectId, apiKeyId: key.id } : undefined;
    }
    const session = await services.accounts.authenticate(data.credential.accessToken);
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
      const cookies = parseCookies(socket.handshake.headers.cookie ?? '');
      const accessToken = cookies[ACCESS_COOKIE];
      const data: SocketData | undefined = apiKey
        ? { credential: { apiKey } }
        : accessToken && fromOwnOrigin(socket)
          ? { credential: { accessToken } }
          : undefined;
      if (!data || !(await principalOf(data))) {
        next(new Error(UNAUTHORIZED));
        return;
      }
      socket.data = data;
      next();
    } catch (error) {
      next(error instanceof Error ? error : new Error(String(error)));
    }
  });

  io.on('connection', (socket: VibariantSocket) => {
    /** Checks the credential and the project, then joins `room`. */
    const join = async (
      projectId: unknown,
      room: (projectId: string) => Promise<string | undefined>,
    ): Promise<Reply<Joined>> => {
      if (
        typeof projectId !== 'string' ||
        projectId.length === 0 ||
        projectId.length > MAX_ID_LENGTH
      ) {
        return refuse('invalid', 'projectId: must be a project ID');
      }
      const principal = await principalOf(socket.data);
      if (!principal) {
        // After the acknowledgement has gone out.
        setImmediate(() => socket.disconnect(true));
        return refuse('forbidden', 'Your session has ended: sign in again');
      }
      if (!(await reaches(principal, projectId))) {
        return refuse('forbidden', 'This credential cannot access this project');
      }
      const name = await room(projectId);
      if (!name) return refuse('not_found', 'No such experiment in this project');
      await socket.join(name);
      return { ok: true, room: name };
    };

    const safely =
      <P>(handler: (payload: P) => Promise<Reply<Joined>>) =>
      (payload: P, ack: unknown) => {
        if (typeof ack !== 'function') return;
        handler(payload ?? ({} as P)).then(
          (reply) => ack(reply),
          (error: unknown) => {
            services.logger.error({ err: error }, 'realtime command failed');
            ack(refuse('invalid', 'The command failed'));
          },
        );
      };

    socket.on(
      'project:join',
      safely(async ({ projectId }: { projectId: unknown }) =>
        join(projectId, async (id) => projectRoom(id)),
      ),
    );
    socket.on(
      'experiment:join',
      safely(
        async ({ projectId, experimentKey }: { projectId: unknown; experimentKey: unknown }) => {
          if (typeof experimentKey !== 'string' || experimentKey.length > MAX_ID_LENGTH) {
            return refuse('invalid', 'experimentKey: must be an experiment key');
          }
          return join(projectId, async (id) => {
            const experiment = await services.experimentStore.findByKey(id, experimentKey);
            return experiment ? experimentRoom(experiment.id) : undefined;
          });
        },
      ),
    );
  });
  return io;
}
