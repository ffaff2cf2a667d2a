/**
 * The Socket.IO contract between the server and the dashboard: commands (`entity:verb`, with an
 * acknowledgement) and facts (`entity:past-tense`). One file, imported by both sides; times
 * travel as ISO strings.
 */
import type { Decision } from '@vibariant/stats';

/** Why a command was refused. */
export type RefusalCode = 'invalid' | 'forbidden' | 'not_found' | 'rate_limited';

/** The acknowledgement of a command: what it answers, or why it was refused. */
export type Reply<T> =
  | ({ readonly ok: true } & T)
  | {
      readonly ok: false;
      readonly error: { readonly code: RefusalCode; readonly message: string };
    };

/** A room joined: its name. */
export interface Joined {
  readonly room: string;
}

/** An experiment as a live view shows it. */
export interface ExperimentView {
  readonly id: string;
  readonly projectId: string;
  readonly key: string;
  readonly name: string;
  readonly hypothesis: string | null;
  readonly status: string;
  readonly variants: readonly { readonly key: string; readonly name: string }[];
  readonly primaryGoal: string | null;
  readonly banditMode: string;
  readonly allocation: { readonly weights: readonly number[]; readonly version: number };
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  readonly archivedAt: string | null;
}

/** A stored decision snapshot, without density curves. */
export interface SnapshotView {
  readonly takenAt: string;
  readonly goal: string | null;
  readonly status: string;
  readonly decision: Omit<Decision, 'variants'> & {
    readonly variants: Omit<Decision['variants'][number], 'density'>[];
  };
}

/** What joining an experiment's room answers: where a (re)connecting client starts from. */
export interface ExperimentState {
  readonly experiment: ExperimentView;
  /** The latest decision, with density curves; null before the first one. */
  readonly decision: Decision | null;
  /** The last 100 decision snapshots, oldest first. */
  readonly snapshots: readonly SnapshotView[];
}

/** A recomputed decision, pushed to the experiment's room (at most one per 100 ms, the last). */
export interface DecisionUpdated {
  readonly experimentId: string;
  readonly experimentKey: string;
  readonly goal: string | null;
  readonly decision: Decision;
}

/** An experiment's latest decision in short, for lists (the project's room). */
export interface ExperimentSummary {
  readonly projectId: string;
  readonly experimentId: string;
  readonly experimentKey: string;
  readonly goal: string | null;
  /** The decision's status: collecting_data, keep_testing, ready_to_ship, … */
  readonly status: string;
  readonly srmDetected: boolean;
  readonly visitors: number;
  readonly conversions: number;
}

/** Who made a change, as watchers see it; null for the system (the bandit, ingestion). */
export type ActorView = { readonly kind: 'user' | 'api_key'; readonly label: string } | null;

/** Someone watching an experiment. */
export interface Viewer {
  /** A user ID, or an API key's ID. */
  readonly id: string;
  readonly kind: 'user' | 'api_key';
  readonly label: string;
}

/** A note in an experiment's activity feed. */
export interface NoteView {
  readonly id: string;
  readonly authorUserId: string | null;
  readonly authorLabel: string;
  readonly body: string;
  readonly createdAt: string;
}

/** An incoming SDK event as the live stream shows it. */
export interface LiveEventView {
  readonly type: string;
  readonly experiment: string | null;
  readonly variant: string | null;
  readonly goal: string | null;
  readonly page: string | null;
  /** The first 8 characters of the visitor ID. */
  readonly visitor: string;
  readonly at: string;
}

/** A notification as the project's room hears of it. */
export interface NotificationView {
  readonly id: string;
  readonly projectId: string;
  readonly experimentId: string | null;
  readonly kind: 'ready_to_ship' | 'practically_equivalent' | 'srm_detected';
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
}

/** A goal as the project's room hears of it. */
export interface GoalView {
  readonly key: string;
  readonly status: string;
  readonly source: string;
  readonly label: string | null;
}

export interface ClientToServerEvents {
  /** Joins the project's room (live events and notifications of the project). */
  'project:join': (payload: { projectId: string }, ack: (reply: Reply<Joined>) => void) => void;
  /** Leaves it (the dashboard moved to another project). */
  'project:leave': (payload: { projectId: string }, ack: (reply: Reply<Joined>) => void) => void;
  /** Joins an experiment's room (its decisions, allocation and activity); answers its state. */
  'experiment:join': (
    payload: { projectId: string; experimentKey: string },
    ack: (reply: Reply<Joined & { readonly state: ExperimentState }>) => void,
  ) => void;
  /** Subscribes to the project's live stream of incoming SDK events (`events:received`). */
  'live:subscribe': (payload: { projectId: string }, ack: (reply: Reply<Joined>) => void) => void;
  'live:unsubscribe': (payload: { projectId: string }, ack: (reply: Reply<Joined>) => void) => void;
  /** Leaves an experiment's room (presence is updated for the others). */
  'experiment:leave': (
    payload: { projectId: string; experimentKey: string },
    ack: (reply: Reply<Joined>) => void,
  ) => void;
}

export interface ServerToClientEvents {
  /** To the experiment's room. */
  'decision:updated': (update: DecisionUpdated) => void;
  /** To the project's room, with each `decision:updated` (as often, at most). */
  'experiment:summarized': (summary: ExperimentSummary) => void;
  /** To the project's room. */
  'experiment:created': (fact: { experiment: ExperimentView; by: ActorView }) => void;
  /** To the experiment's room and the project's room. */
  'experiment:updated': (fact: { experiment: ExperimentView; by: ActorView }) => void;
  /** To the experiment's room: a new allocation version (the bandit, or a person). */
  'allocation:changed': (fact: {
    experimentId: string;
    allocation: { weights: readonly number[]; version: number; updatedAt: string };
    by: ActorView;
  }) => void;
  /** To the project's room. */
  'goal:updated': (fact: { goal: GoalView; by: ActorView }) => void;
  /** To the experiment's room. */
  'note:added': (fact: { experimentId: string; note: NoteView }) => void;
  /** To the project's room: an experiment reached a decision, or SRM was detected. */
  'notification:created': (fact: NotificationView) => void;
  /**
   * To the project's live-stream subscribers, every 250 ms while events arrive: at most 5 of
   * them (20 a second), a uniform sample, with the true rate.
   */
  'events:received': (fact: {
    projectId: string;
    events: readonly LiveEventView[];
    receivedPerSecond: number;
    sampled: boolean;
  }) => void;
  /** To the experiment's room: everyone viewing it now, after someone joined or left. */
  'presence:changed': (fact: { experimentId: string; viewers: readonly Viewer[] }) => void;
}

/** Room names. */
export const PROJECT_ROOM_PREFIX = 'project:';
export const EXPERIMENT_ROOM_PREFIX = 'experiment:';
export const liveRoom = (projectId: string): string => `live:${projectId}`;
export const projectRoom = (projectId: string): string => `${PROJECT_ROOM_PREFIX}${projectId}`;
export const experimentRoom = (experimentId: string): string =>
  `${EXPERIMENT_ROOM_PREFIX}${experimentId}`;

/** The `connect_error` message of a refused handshake. */
export const UNAUTHORIZED = 'unauthorized';
