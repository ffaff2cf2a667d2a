/**
 * What the dashboard reads from the API, as JSON (times are ISO strings). The decision and the
 * live contract are the engine's and the server's own types.
 */
import type { Decision } from '@vibariant/stats';

export type {
  ExperimentState,
  ExperimentView,
  LiveEventView,
  NoteView,
  NotificationView,
  SnapshotView,
  Viewer,
} from '@vibariant/server/realtime/contracts';
export type { Decision };

export type Role = 'owner' | 'member';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
}

export interface Me {
  readonly user: User;
  readonly memberships: readonly { readonly projectId: string; readonly role: Role }[];
  readonly csrfToken: string;
}

export interface Project {
  readonly id: string;
  readonly name: string;
  readonly autoCreateExperiments: boolean;
  readonly allowedOrigins: readonly string[];
  readonly createdAt: string;
}

export interface ProjectToken {
  readonly id: string;
  readonly token: string;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export type ExperimentStatus = 'draft' | 'running' | 'paused' | 'stopped';

export interface Thresholds {
  readonly minVisitorsPerVariant?: number;
  readonly lossThreshold?: number;
  readonly minProbabilityToBeBest?: number;
  readonly ropeRelative?: number;
  readonly ropeHalfWidth?: number;
}

export interface Experiment {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly hypothesis: string | null;
  readonly status: ExperimentStatus;
  readonly variants: readonly { readonly key: string; readonly name: string }[];
  readonly primaryGoal: string | null;
  readonly prior: { readonly alpha: number; readonly beta: number } | null;
  readonly thresholds: Thresholds | null;
  readonly banditMode: 'top-two' | 'thompson' | 'off';
  readonly allocation: { readonly weights: readonly number[]; readonly version: number };
  readonly decision: Decision | null;
  readonly decisionStatus: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  readonly archivedAt: string | null;
}

export interface Goal {
  readonly key: string;
  readonly status: 'candidate' | 'confirmed' | 'rejected';
  readonly source: 'track' | 'detected';
  readonly kind: string | null;
  readonly label: string | null;
  readonly selector: string | null;
  readonly events: number;
  readonly convertedVisitors?: number;
  readonly lastSeenAt: string;
}

export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: Role;
  readonly joinedAt: string;
}

export interface Invitation {
  readonly email: string;
  readonly role: Role;
  readonly invitedAt: string;
  readonly expiresAt: string;
}

export interface Notification {
  readonly id: string;
  readonly experimentId: string | null;
  readonly kind: 'ready_to_ship' | 'practically_equivalent' | 'srm_detected';
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
  readonly readAt: string | null;
}

export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly createdAt: string;
}

export interface Delivery {
  readonly id: string;
  readonly state: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
}
