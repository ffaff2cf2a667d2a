/**
 * The Socket.IO contract between the server and the dashboard: commands (`entity:verb`, with an
 * acknowledgement) and facts (`entity:past-tense`). One file, imported by both sides.
 */

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

export interface ClientToServerEvents {
  /** Joins the project's room (live events and notifications of the project). */
  'project:join': (payload: { projectId: string }, ack: (reply: Reply<Joined>) => void) => void;
  /** Joins an experiment's room (its decisions, allocation and activity). */
  'experiment:join': (
    payload: { projectId: string; experimentKey: string },
    ack: (reply: Reply<Joined>) => void,
  ) => void;
}

// biome-ignore lint/suspicious/noEmptyInterface: facts are added with the live features
export interface ServerToClientEvents {}

/** Room names. */
export const projectRoom = (projectId: string): string => `project:${projectId}`;
export const experimentRoom = (experimentId: string): string => `experiment:${experimentId}`;

/** The `connect_error` message of a refused handshake. */
export const UNAUTHORIZED = 'unauthorized';
