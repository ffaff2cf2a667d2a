import type { Knex } from 'knex';

/**
 * The table `@socket.io/postgres-adapter` keeps broadcasts in that are too large for a NOTIFY
 * (over 8,000 bytes), when several servers share one PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS socket_io_attachments (
      id          bigserial UNIQUE,
      created_at  timestamptz DEFAULT now(),
      payload     bytea
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('socket_io_attachments');
}
