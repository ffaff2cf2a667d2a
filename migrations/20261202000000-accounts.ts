import type { Knex } from 'knex';

/**
 * Sign-in and sessions: single-use sign-in links (hashed), refresh sessions that rotate within a
 * family, linked OAuth identities, and project invitations.
 */
export async function up(knex: Knex): Promise<void> {
  // A link sent by email: for signing in, or for joining a project (an invitation).
  await knex.schema.createTable('sign_in_links', (t) => {
    t.text('token_hash').primary();
    t.text('email').notNullable();
    t.text('project_id').references('projects.id').onDelete('CASCADE');
    t.text('role');
    t.text('invited_by').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.index(['email']);
  });

  // One row per refresh token; rotation replaces a row by the next of its family. Presenting a
  // replaced token again revokes the whole family (it was stolen, or replayed).
  await knex.schema.createTable('refresh_sessions', (t) => {
    t.text('token_hash').primary();
    t.text('family_id').notNullable();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('replaced_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['family_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('user_identities', (t) => {
    t.text('provider').notNullable();
    t.text('subject').notNullable();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['provider', 'subject']);
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['user_identities', 'refresh_sessions', 'sign_in_links']) {
    await knex.schema.dropTableIfExists(table);
  }
}
