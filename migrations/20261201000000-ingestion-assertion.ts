import type { Knex } from 'knex';

/**
 * `vibariant_assert(ok, message)`: raises `message` with SQLSTATE `VV001` unless `ok`. Lets one
 * statement check what it wrote, so that a failed check aborts the transaction before the
 * `COMMIT` sent in the same round trip. Ingestion uses it for first exposures.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION vibariant_assert(ok boolean, message text) RETURNS boolean
    LANGUAGE plpgsql AS $$
    BEGIN
      IF ok IS NOT TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'VV001', MESSAGE = message;
      END IF;
      RETURN true;
    END
    $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION vibariant_assert(boolean, text)');
}
