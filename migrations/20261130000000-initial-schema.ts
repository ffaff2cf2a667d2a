import type { Knex } from 'knex';

/** Engagement counters: the deepest scroll (0 to 1), active milliseconds, and counts. */
function engagementColumns(t: Knex.CreateTableBuilder): void {
  t.double('max_scroll_depth').notNullable().defaultTo(0);
  t.double('active_ms').notNullable().defaultTo(0);
  for (const count of ['clicks', 'form_starts', 'form_submits', 'page_views']) {
    t.bigInteger(count).notNullable().defaultTo(0);
  }
}

/**
 * The initial schema: accounts and projects, credentials, experiments with their allocation
 * history, goals, the event log, first exposures and conversions, the sufficient statistics the
 * decisions are computed from, decision snapshots and notifications.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.text('id').primary();
    t.text('email').notNullable().unique();
    t.text('name');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('projects', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    // Code-first experiments: an exposure for an unknown key creates the experiment.
    t.boolean('auto_create_experiments').notNullable().defaultTo(true);
    // Empty: /v1 answers every origin. Otherwise only these origins.
    t.jsonb('allowed_origins').notNullable().defaultTo('[]');
    t.jsonb('autotrack').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('project_members', (t) => {
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('role').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['project_id', 'user_id']);
    t.index(['user_id']);
  });

  // Public tokens ship inside web pages, so they are stored as they are.
  await knex.schema.createTable('project_tokens', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('token').notNullable().unique();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
    t.index(['project_id']);
  });

  // Secret keys: only a SHA-256 hash and a visible prefix are kept.
  await knex.schema.createTable('api_keys', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('prefix').notNullable();
    t.text('key_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['project_id']);
  });

  await knex.schema.createTable('experiments', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('name').notNullable();
    t.text('hypothesis');
    t.text('status').notNullable();
    // [{ key, name }] in arm order; arms are only ever appended.
    t.jsonb('variants').notNullable();
    t.text('primary_goal');
    t.jsonb('prior');
    t.jsonb('thresholds');
    t.text('bandit_mode').notNullable().defaultTo('top-two');
    t.jsonb('allocation').notNullable();
    t.integer('allocation_version').notNullable().defaultTo(1);
    t.timestamp('allocation_updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('created_by').notNullable();
    // The latest decision for the primary goal and its status (compare-and-set on change).
    t.jsonb('decision');
    t.text('decision_status');
    t.timestamp('decided_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true });
    t.timestamp('stopped_at', { useTz: true });
    t.timestamp('archived_at', { useTz: true });
    t.unique(['project_id', 'key']);
  });

  // Every status an experiment has had, and since when (the recount replays these periods).
  await knex.schema.createTable('experiment_status_changes', (t) => {
    t.bigIncrements('id').primary();
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.text('status').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.index(['experiment_id', 'changed_at']);
  });

  await knex.schema.createTable('allocation_epochs', (t) => {
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.jsonb('weights').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['experiment_id', 'version']);
  });

  await knex.schema.createTable('goals', (t) => {
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.text('status').notNullable();
    // 'track' (named in code) or 'detected' (a DOM heuristic's candidate).
    t.text('source').notNullable();
    t.text('kind');
    t.text('label');
    t.text('selector');
    t.bigInteger('events').notNullable().defaultTo(0);
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['project_id', 'key']);
  });

  await knex.schema.createTable('visitors', (t) => {
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('visitor_id').notNullable();
    // Running engagement totals over the visitor's whole history in the project.
    engagementColumns(t);
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.primary(['project_id', 'visitor_id']);
  });

  // The event log, exactly once per client-generated event ID.
  await knex.schema.createTable('events', (t) => {
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('event_id').notNullable();
    t.text('type').notNullable();
    t.text('visitor_id').notNullable();
    t.text('experiment_key');
    t.text('goal_key');
    t.jsonb('payload').notNullable();
    t.boolean('is_bot').notNullable().defaultTo(false);
    t.timestamp('client_at', { useTz: true });
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.primary(['project_id', 'event_id']);
    t.index(['project_id', 'type', 'received_at']);
  });

  await knex.schema.createTable('exposures', (t) => {
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.text('visitor_id').notNullable();
    t.text('project_id').notNullable();
    t.text('variant_key').notNullable();
    t.integer('allocation_version').notNullable();
    t.timestamp('exposed_at', { useTz: true }).notNullable();
    // The visitor's engagement totals just before the first exposure (CUPED covariate).
    t.jsonb('pre_engagement').notNullable().defaultTo('{}');
    t.primary(['experiment_id', 'visitor_id']);
    t.index(['project_id', 'visitor_id']);
  });

  await knex.schema.createTable('conversions', (t) => {
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.text('visitor_id').notNullable();
    t.text('goal_key').notNullable();
    t.text('variant_key').notNullable();
    t.timestamp('converted_at', { useTz: true }).notNullable();
    t.primary(['experiment_id', 'visitor_id', 'goal_key']);
  });

  // Engagement after exposure, per experiment and visitor (the proxy metric's inputs).
  await knex.schema.createTable('experiment_engagement', (t) => {
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.text('visitor_id').notNullable();
    t.text('variant_key').notNullable();
    engagementColumns(t);
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['experiment_id', 'visitor_id']);
  });

  // Sufficient statistics: first-exposed visitors per variant and allocation epoch...
  await knex.schema.createTable('variant_exposure_stats', (t) => {
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.text('variant_key').notNullable();
    t.integer('allocation_version').notNullable();
    t.bigInteger('visitors').notNullable().defaultTo(0);
    // Later exposures of already-counted visitors naming another variant.
    t.bigInteger('conflicting_exposures').notNullable().defaultTo(0);
    t.primary(['experiment_id', 'variant_key', 'allocation_version']);
  });

  // ...and converted visitors per variant and goal.
  await knex.schema.createTable('variant_goal_stats', (t) => {
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.text('variant_key').notNullable();
    t.text('goal_key').notNullable();
    t.bigInteger('conversions').notNullable().defaultTo(0);
    t.primary(['experiment_id', 'variant_key', 'goal_key']);
  });

  await knex.schema.createTable('decision_snapshots', (t) => {
    t.bigIncrements('id').primary();
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    // Null while the experiment has no goal with conversions yet.
    t.text('goal_key');
    t.text('status').notNullable();
    t.jsonb('decision').notNullable();
    t.timestamp('taken_at', { useTz: true }).notNullable();
    t.index(['experiment_id', 'taken_at']);
  });

  await knex.schema.createTable('notifications', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('experiment_id').references('experiments.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.jsonb('payload').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('read_at', { useTz: true });
    t.index(['project_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'notifications',
    'decision_snapshots',
    'variant_goal_stats',
    'variant_exposure_stats',
    'experiment_engagement',
    'conversions',
    'exposures',
    'events',
    'visitors',
    'goals',
    'allocation_epochs',
    'experiment_status_changes',
    'experiments',
    'api_keys',
    'project_tokens',
    'project_members',
    'projects',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
