import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CountingClock } from './counting-clock.js';
import type { Database } from './db/database.js';
import { DomainEvents } from './domain-events.js';
import { AccountService } from './features/accounts/account-service.js';
import { AccountStore } from './features/accounts/account-store.js';
import { GitHubOAuth, type GitHubSettings } from './features/accounts/github-oauth.js';
import { createMailer, type Mailer } from './features/accounts/mailer.js';
import { SessionTokens } from './features/accounts/session-tokens.js';
import { ActivityService } from './features/activity/activity-service.js';
import { NoteStore } from './features/activity/note-store.js';
import { AssignmentService } from './features/assignment/assignment-service.js';
import { RecountService } from './features/audit/recount-service.js';
import { RecountStore } from './features/audit/recount-store.js';
import {
  DecisionService,
  type DecisionServiceOptions,
} from './features/decisions/decision-service.js';
import { DecisionStore } from './features/decisions/decision-store.js';
import { ResultsService } from './features/decisions/results-service.js';
import { ExperimentService } from './features/experiments/experiment-service.js';
import { ExperimentStore } from './features/experiments/experiment-store.js';
import { GoalService } from './features/goals/goal-service.js';
import { GoalStore } from './features/goals/goal-store.js';
import { IngestionService } from './features/ingestion/ingestion-service.js';
import { IngestionStore } from './features/ingestion/ingestion-store.js';
import { NotificationService } from './features/notifications/notification-service.js';
import { NotificationStore } from './features/notifications/notification-store.js';
import { ProjectService } from './features/projects/project-service.js';
import { ProjectStore } from './features/projects/project-store.js';
import { TeamService } from './features/teams/team-service.js';
import { TeamStore } from './features/teams/team-store.js';
import { type WebhookOptions, WebhookService } from './features/webhooks/webhook-service.js';
import { WebhookStore } from './features/webhooks/webhook-store.js';
import { createMetrics, type Metrics } from './metrics.js';

export interface ServiceOptions {
  /** Retry delays and polling of webhook deliveries (tests shorten them). */
  readonly webhooks?: WebhookOptions;
  readonly db: Database;
  readonly logger: Logger;
  /** The clock, in milliseconds since the epoch (tests move it). */
  readonly now?: () => number;
  readonly decisions?: DecisionServiceOptions;
  readonly accounts?: AccountOptions;
  /** Prometheus metrics to record into (default: new ones). */
  readonly metrics?: Metrics;
}

/** Sign-in: the key that signs sessions, where the dashboard is, and how mail goes out. */
export interface AccountOptions {
  readonly sessionSecret: Uint8Array;
  /** The dashboard's public URL, for links in emails (no trailing slash). */
  readonly publicUrl: string;
  readonly mailer: Mailer;
  /** GitHub sign-in; absent: not offered. */
  readonly github?: GitHubSettings | undefined;
}

/** Every service, wired once: stores -> services. The HTTP app and the CLI both use this. */
export interface Services {
  readonly db: Database;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly events: DomainEvents;
  readonly projects: ProjectService;
  readonly accounts: AccountService;
  /** GitHub sign-in, when configured. */
  readonly github: GitHubOAuth | undefined;
  readonly team: TeamService;
  readonly experimentStore: ExperimentStore;
  readonly goalStore: GoalStore;
  readonly ingestion: IngestionService;
  readonly decisions: DecisionService;
  readonly assignment: AssignmentService;
  readonly experiments: ExperimentService;
  readonly goals: GoalService;
  readonly results: ResultsService;
  readonly activity: ActivityService;
  readonly notifications: NotificationService;
  /** Audit and repair of the sufficient statistics from the raw event log (CLI, tests). */
  readonly recount: RecountService;
  readonly webhooks: WebhookService;
  /**
   * Stops background work (the decision subscription, webhook deliveries) and waits for what is
   * in flight. Does not close the database.
   */
  stop(): Promise<void>;
}

export function createServices(options: ServiceOptions): Services {
  const { db, logger } = options;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? createMetrics();
  const events = new DomainEvents();
  const projectStore = new ProjectStore(db.knex);
  const clock = new CountingClock(now);
  const experimentStore = new ExperimentStore(db.knex, clock);
  const goalStore = new GoalStore(db.knex);
  // Without options (the command line, some tests): a session key for this process only, and
  // mail written to the log.
  const accountOptions: AccountOptions = options.accounts ?? {
    sessionSecret: randomBytes(32),
    publicUrl: 'http://127.0.0.1:4000',
    mailer: createMailer(undefined, 'Vibariant <no-reply@localhost>', logger),
  };
  const notifications = new NotificationService(
    new NotificationStore(db.knex),
    events,
    { mailer: accountOptions.mailer, publicUrl: accountOptions.publicUrl, logger },
    now,
  );
  const decisions = new DecisionService(
    new DecisionStore(db.knex),
    experimentStore,
    events,
    notifications,
    logger,
    now,
    { onRecompute: (seconds) => metrics.recomputeDuration.observe(seconds), ...options.decisions },
  );
  const unsubscribe = decisions.start();
  const projects = new ProjectService(projectStore, events, now);
  const webhooks = new WebhookService(new WebhookStore(db.knex), events, logger, {
    onAttempt: (state) => metrics.webhookAttempts.inc({ state }),
    ...options.webhooks,
  });
  const stopWebhooks = webhooks.start();
  const accounts = new AccountService(
    new AccountStore(db.knex),
    new SessionTokens(accountOptions.sessionSecret, now),
    accountOptions.mailer,
    { publicUrl: accountOptions.publicUrl },
    events,
    now,
  );
  const experiments = new ExperimentService(experimentStore, decisions, events, now);
  return {
    db,
    logger,
    metrics,
    events,
    projects,
    accounts,
    team: new TeamService(new TeamStore(db.knex), accounts, projects, events, now),
    github: accountOptions.github
      ? new GitHubOAuth(accountOptions.github, `${accountOptions.publicUrl}/auth/github/callback`)
      : undefined,
    experimentStore,
    goalStore,
    ingestion: new IngestionService(new IngestionStore(db), experimentStore, events, clock, now),
    decisions,
    assignment: new AssignmentService(experimentStore, goalStore),
    experiments,
    goals: new GoalService(goalStore, experimentStore, decisions, events),
    notifications,
    activity: new ActivityService(new NoteStore(db.knex), experiments, events, now),
    results: new ResultsService(
      experiments,
      experimentStore,
      goalStore,
      decisions,
      new DecisionStore(db.knex),
    ),
    recount: new RecountService(new RecountStore(db.knex), decisions),
    webhooks,
    async stop() {
      unsubscribe();
      await stopWebhooks();
    },
  };
}
