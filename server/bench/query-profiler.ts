/**
 * Round-trip profiler for the benchmark's profile section: while active it wraps
 * `pg.Client.prototype.query` (the driver under knex, the database sessions and the plain pool)
 * and records every round trip's wall time, from the call until the driver hands back the
 * result, under a short label ("insert events (on conflict do nothing)", "select exposures",
 * "BEGIN + select pg_advisory_xact_lock" for a script of several statements, …) and whether it
 * ran in a transaction (knex's, or one a script began). It adds a little work per query, so it
 * is only ever active while nothing is being timed for throughput.
 */
import pg from 'pg';

/** Statements with one label: how many, and their total wall time. */
export interface StatementTotals {
  count: number;
  totalMs: number;
}

type QueryFunction = (...args: unknown[]) => unknown;

/** A short, stable name for a statement: verb and table (and the conflict clause). */
export function statementLabel(sql: string): string {
  const text = sql.trim().replace(/\s+/g, ' ').toLowerCase();
  if (/^(begin|commit|rollback)\b/.test(text)) return text.replace(/;$/, '').toUpperCase();
  const table = (pattern: RegExp) => pattern.exec(text)?.[1]?.replaceAll('"', '') ?? '?';
  if (text.startsWith('insert')) {
    const conflict = text.includes(' on conflict ')
      ? text.includes(' do update ')
        ? ' (upsert)'
        : ' (on conflict do nothing)'
      : '';
    return `insert ${table(/^insert into ("?[\w]+"?)/)}${conflict}`;
  }
  if (text.startsWith('update')) return `update ${table(/^update ("?[\w]+"?)/)}`;
  if (text.startsWith('select pg_advisory_xact_lock')) return 'select pg_advisory_xact_lock';
  if (text.startsWith('with')) {
    const tables = [...text.matchAll(/ insert into ("?\w+"?)/g)].map((m) =>
      m[1]!.replaceAll('"', ''),
    );
    if (tables.length === 1) return `with … insert ${tables[0]}`;
    if (tables.length > 1) return `with … insert ${tables[0]} and ${tables.length - 1} more`;
  }
  if (text.startsWith('select')) return `select ${table(/ from ("?[\w]+"?)/)}`;
  return text.slice(0, 40);
}

/** The statements of a script sent in one round trip (the sessions separate them by `;\n`). */
const statementsOf = (sql: string): string[] =>
  sql.split(/;\s*\n/).filter((statement) => statement.trim() !== '');

/** The labels of a round trip's statements, joined by " + ". */
export const scriptLabel = (sql: string): string =>
  statementsOf(sql).map(statementLabel).join(' + ');

/** Records statements by phase until stopped; only one profiler may be active at a time. */
export class QueryProfiler {
  /** Totals per phase, then per statement label. */
  readonly phases = new Map<string, Map<string, StatementTotals>>();
  private phase = 'unassigned';
  private readonly original: QueryFunction;

  constructor() {
    const prototype = pg.Client.prototype as unknown as { query: QueryFunction };
    this.original = prototype.query;
    const original = this.original;
    const record = (phase: string, sql: string, ms: number) => this.record(phase, sql, ms);
    const currentPhase = () => this.phase;
    // Connections inside a transaction that a script began.
    const inScriptTransaction = new WeakSet<object>();
    prototype.query = function (this: { __knexTxId?: unknown }, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      const sql = typeof first === 'string' ? first : (first?.text ?? '');
      const statements = statementsOf(sql).map(statementLabel);
      // knex marks the connection of a transaction with its ID while the transaction runs.
      const inTransaction =
        this.__knexTxId !== undefined || inScriptTransaction.has(this) || statements[0] === 'BEGIN';
      if (statements.includes('BEGIN')) inScriptTransaction.add(this);
      if (statements.includes('COMMIT') || statements.includes('ROLLBACK')) {
        inScriptTransaction.delete(this);
      }
      const phase = `${currentPhase()}${inTransaction ? ', in transaction' : ''}`;
      const start = performance.now();
      const callbackAt = args.findIndex((a) => typeof a === 'function');
      if (callbackAt >= 0) {
        const callback = args[callbackAt] as (...result: unknown[]) => void;
        args[callbackAt] = (...result: unknown[]) => {
          record(phase, sql, performance.now() - start);
          callback(...result);
        };
        return original.apply(this, args);
      }
      const result = original.apply(this, args);
      if (result instanceof Promise) {
        return result.finally(() => record(phase, sql, performance.now() - start));
      }
      return result;
    };
  }

  /**
   * Statements started from now on count under `phase`, or under `${phase}, in transaction` when
   * they run inside a knex transaction.
   */
  setPhase(phase: string): void {
    this.phase = phase;
  }

  /** Restores the driver's own `query`. */
  stop(): void {
    (pg.Client.prototype as unknown as { query: QueryFunction }).query = this.original;
  }

  private record(phase: string, sql: string, ms: number): void {
    const byLabel = this.phases.get(phase) ?? new Map<string, StatementTotals>();
    this.phases.set(phase, byLabel);
    const label = scriptLabel(sql);
    const totals = byLabel.get(label) ?? { count: 0, totalMs: 0 };
    totals.count++;
    totals.totalMs += ms;
    byLabel.set(label, totals);
  }
}
