import { EventEmitter } from 'node:events';
import type { Decision } from '@vibariant/stats';
import type { Note } from './features/activity/note-store.js';
import type { Allocation, Experiment } from './features/experiments/experiment-store.js';
import type { Goal } from './features/goals/goal-store.js';
import type { Notification } from './features/notifications/notification-store.js';

/**
 * Facts the services announce after they are committed, named `entity:past-tense`. The realtime
 * layer subscribes to these; services never import it. Listeners run while the request that
 * caused the fact is served, so `currentActor()` tells who did it.
 */
export interface DomainEventMap {
  /** An ingested batch changed these experiments' sufficient statistics. */
  'stats:changed': { projectId: string; experimentIds: string[] };
  'experiment:created': { experiment: Experiment };
  'experiment:updated': { experiment: Experiment };
  /** The decision for the experiment's primary goal was recomputed. */
  'decision:changed': {
    projectId: string;
    experimentId: string;
    experimentKey: string;
    goal: string | null;
    previousStatus: string | null;
    decision: Decision;
  };
  'allocation:changed': { projectId: string; experimentId: string; allocation: Allocation };
  /** A person confirmed or rejected a goal. */
  'goal:updated': { projectId: string; goal: Goal };
  /**
   * A batch's newly stored events, summarized for the live stream (announced only while
   * someone listens: see `hasListeners`).
   */
  'events:ingested': { projectId: string; events: LiveEventSummary[] };
  /** An API key was revoked: connections made with it end. */
  'api-key:revoked': { projectId: string; apiKeyId: string };
  /** Someone left or was removed from a project: their connections end. */
  'member:removed': { projectId: string; userId: string };
  /** A sign-in session ended (signed out, or its refresh token replayed). */
  'session:ended': { sessionId: string };
  /** A note was added to an experiment's activity feed. */
  'note:added': { projectId: string; experimentId: string; note: Note };
  /** A stored notification: an experiment reaching a decision, or SRM detected. */
  'notification:created': Notification;
}

/** One ingested event as the live stream shows it. */
export interface LiveEventSummary {
  readonly type: string;
  readonly experiment: string | null;
  readonly variant: string | null;
  readonly goal: string | null;
  readonly page: string | null;
  /** The first 8 characters of the visitor ID. */
  readonly visitor: string;
  /** Milliseconds since the epoch (skew-corrected client time). */
  readonly at: number;
}

type Listener<K extends keyof DomainEventMap> = (event: DomainEventMap[K]) => void;

/** A typed, in-process event bus. Listeners run synchronously; they must not throw. */
export class DomainEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<K extends keyof DomainEventMap>(name: K, event: DomainEventMap[K]): void {
    this.emitter.emit(name, event);
  }

  /** Whether anything listens to `name` (to skip building a fact nobody reads). */
  hasListeners(name: keyof DomainEventMap): boolean {
    return this.emitter.listenerCount(name) > 0;
  }

  on<K extends keyof DomainEventMap>(name: K, listener: Listener<K>): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
