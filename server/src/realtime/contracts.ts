/**
 * The Socket.IO contract between the server and the dashboard: commands (`entity:verb`, with an
 * acknowledgement) and facts (`entity:past-tense`). One file, imported by both sides; times
 * travel as ISO strings.
 */
import type { Decision } from '@vibariant/stats';

/** Why a command was refused. */
export type RefusalCode = 'invalid' | 'forbidden' | 'not_found';

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

export interface ClientToServerEvents {
  /** Joins the project's room (live events and notifications of the project). */
  'project:join': (payload: { projectId: string }, ack: (reply: Reply<Joined>) => void) => void;
  /** Joins an experiment's room (its decisions, allocation and activity); answers its state. */
  'experiment:join': (
    payload: { projectId: string; experimentKey: string },
    ack: (reply: Reply<Joined & { readonly state: ExperimentState }>) => void,
  ) => void;
}

export interface ServerToClientEvents {
  'decision:updated': (update: DecisionUpdated) => void;
}

/** Room names. */
export const projectRoom = (projectId: string): string => `project:${projectId}`;
export const experimentRoom = (experimentId: string): string => `experiment:${experimentId}`;

/** The `connect_error` message of a refused handshake. */
export const UNAUTHORIZED = 'unauthorized';
