import type { Knex } from 'knex';

/**
 * Collaboration and notifications: notes in an experiment's activity feed, the moment SRM was
 * first detected (set once, compare-and-set), webhooks with a log of their deliveries, and
 * members' choice of email notifications.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('experiment_notes', (t) => {
    t.text('id').primary();
    t.text('experiment_id').notNullable().references('experiments.id').onDelete('CASCADE');
    t.text('author_user_id').references('users.id').onDelete('SET NULL');
    t.text('author_label').notNullable();
    t.text('body').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['experiment_id', 'created_at']);
  });

  await knex.schema.alterTable('experiments', (t) => {
    t.timestamp('srm_detected_at', { useTz: true });
  });

  await knex.schema.alterTable('project_members', (t) => {
    t.boolean('email_notifications').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('webhooks', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('url').notNullable();
    // Signs each delivery (HMAC-SHA256); kept to sign, shown once when the webhook is added.
    t.text('secret').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['project_id']);
  });

  // One row per (webhook, notification): its state and its attempts so far.
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.text('id').primary();
    t.text('webhook_id').notNullable().references('webhooks.id').onDelete('CASCADE');
    t.text('notification_id').references('notifications.id').onDelete('CASCADE');
    t.jsonb('body').notNullable();
    t.text('state').notNullable(); // pending, delivered, failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('last_status');
    t.text('last_error');
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['webhook_id', 'notification_id']);
    t.index(['state', 'next_attempt_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_deliveries');
  await knex.schema.dropTableIfExists('webhooks');
  await knex.schema.alterTable('project_members', (t) => t.dropColumn('email_notifications'));
  await knex.schema.alterTable('experiments', (t) => t.dropColumn('srm_detected_at'));
  await knex.schema.dropTableIfExists('experiment_notes');
}
