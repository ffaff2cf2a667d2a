import type { Knex } from 'knex';

/** A project as the services see it. */
export interface Project {
  readonly id: string;
  readonly name: string;
  readonly autoCreateExperiments: boolean;
  /** Origins allowed to call /v1; empty means any origin. */
  readonly allowedOrigins: string[];
  readonly autotrack: Record<string, unknown>;
  readonly createdAt: Date;
}

export interface ProjectToken {
  readonly id: string;
  readonly projectId: string;
  readonly token: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  /** The first characters of the key, shown so people can tell keys apart. */
  readonly prefix: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

interface ProjectRow {
  id: string;
  name: string;
  auto_create_experiments: boolean;
  allowed_origins: string[];
  autotrack: Record<string, unknown>;
  created_at: Date;
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  autoCreateExperiments: r.auto_create_experiments,
  allowedOrigins: r.allowed_origins,
  autotrack: r.autotrack,
  createdAt: r.created_at,
});

interface TokenRow {
  id: string;
  project_id: string;
  token: string;
  name: string;
  created_at: Date;
  revoked_at: Date | null;
}

const toToken = (r: TokenRow): ProjectToken => ({
  id: r.id,
  projectId: r.project_id,
  token: r.token,
  name: r.name,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

interface ApiKeyRow {
  id: string;
  project_id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toApiKey = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const API_KEY_COLUMNS = [
  'id',
  'project_id',
  'name',
  'prefix',
  'created_at',
  'last_used_at',
  'revoked_at',
];

/** Projects, their public tokens and their secret API keys. */
export class ProjectStore {
  constructor(private readonly db: Knex) {}

  /** Inserts the project and, when given, its first owner (joined at `at`), in one transaction. */
  async insertProject(
    project: { id: string; name: string },
    owner?: { userId: string; at: Date },
  ): Promise<Project> {
    return this.db.transaction(async (trx) => {
      const [row] = await trx('projects').insert(project).returning('*');
      if (owner !== undefined) {
        await trx('project_members').insert({
          project_id: project.id,
          user_id: owner.userId,
          role: 'owner',
          created_at: owner.at,
        });
      }
      return toProject(row as ProjectRow);
    });
  }

  /** The projects the user is a member of, oldest first. */
  async listProjectsOf(userId: string): Promise<Project[]> {
    const rows: ProjectRow[] = await this.db('projects as p')
      .join('project_members as m', 'm.project_id', 'p.id')
      .where('m.user_id', userId)
      .orderBy('p.created_at')
      .select('p.*');
    return rows.map(toProject);
  }

  async findProject(id: string): Promise<Project | undefined> {
    const row = await this.db('projects').where({ id }).first();
    return row ? toProject(row) : undefined;
  }

  async listProjects(): Promise<Project[]> {
    const rows: ProjectRow[] = await this.db('projects').orderBy('created_at');
    return rows.map(toProject);
  }

  async updateProject(
    id: string,
    patch: {
      name?: string | undefined;
      autoCreateExperiments?: boolean | undefined;
      allowedOrigins?: string[] | undefined;
      autotrack?: Record<string, unknown> | undefined;
    },
  ): Promise<Project | undefined> {
    const update: Record<string, unknown> = { updated_at: this.db.fn.now() };
    if (patch.name !== undefined) update.name = patch.name;
    if (patch.autoCreateExperiments !== undefined) {
      update.auto_create_experiments = patch.autoCreateExperiments;
    }
    if (patch.allowedOrigins !== undefined) {
      update.allowed_origins = JSON.stringify(patch.allowedOrigins);
    }
    if (patch.autotrack !== undefined) update.autotrack = JSON.stringify(patch.autotrack);
    const [row] = await this.db('projects').where({ id }).update(update).returning('*');
    return row ? toProject(row as ProjectRow) : undefined;
  }

  async insertToken(token: {
    id: string;
    projectId: string;
    token: string;
    name: string;
  }): Promise<ProjectToken> {
    const [row] = await this.db('project_tokens')
      .insert({ id: token.id, project_id: token.projectId, token: token.token, name: token.name })
      .returning('*');
    return toToken(row as TokenRow);
  }

  async listTokens(projectId: string): Promise<ProjectToken[]> {
    const rows: TokenRow[] = await this.db('project_tokens')
      .where({ project_id: projectId })
      .orderBy('created_at');
    return rows.map(toToken);
  }

  /** The live (unrevoked) token's project, or undefined. */
  async findProjectByToken(token: string): Promise<Project | undefined> {
    const row = await this.db('project_tokens as t')
      .join('projects as p', 'p.id', 't.project_id')
      .where('t.token', token)
      .whereNull('t.revoked_at')
      .first('p.*');
    return row ? toProject(row) : undefined;
  }

  /** Marks a token revoked; returns it, or undefined when the project has no such token. */
  async revokeToken(projectId: string, id: string): Promise<ProjectToken | undefined> {
    const [row] = await this.db('project_tokens')
      .where({ project_id: projectId, id })
      .update({ revoked_at: this.db.raw('coalesce(revoked_at, now())') })
      .returning('*');
    return row ? toToken(row as TokenRow) : undefined;
  }

  async insertApiKey(key: {
    id: string;
    projectId: string;
    name: string;
    prefix: string;
    keyHash: string;
  }): Promise<ApiKeyRecord> {
    const [row] = await this.db('api_keys')
      .insert({
        id: key.id,
        project_id: key.projectId,
        name: key.name,
        prefix: key.prefix,
        key_hash: key.keyHash,
      })
      .returning(API_KEY_COLUMNS);
    return toApiKey(row as ApiKeyRow);
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    const rows: ApiKeyRow[] = await this.db('api_keys')
      .where({ project_id: projectId })
      .orderBy('created_at')
      .select(API_KEY_COLUMNS);
    return rows.map(toApiKey);
  }

  /** The live key with this SHA-256 hash, with its last use recorded. */
  async useApiKey(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db('api_keys')
      .where({ key_hash: keyHash })
      .whereNull('revoked_at')
      .update({ last_used_at: this.db.fn.now() })
      .returning(API_KEY_COLUMNS);
    return row ? toApiKey(row as ApiKeyRow) : undefined;
  }

  /**
   * Revokes the key, unless it is the project's last live one. The project's live keys are
   * locked first, so two concurrent revocations cannot both pass the check.
   */
  async revokeApiKey(
    projectId: string,
    id: string,
  ): Promise<ApiKeyRecord | 'not_found' | 'last_key'> {
    return this.db.transaction(async (trx) => {
      const live: { id: string }[] = await trx('api_keys')
        .where({ project_id: projectId })
        .whereNull('revoked_at')
        .orderBy('id')
        .forUpdate()
        .select('id');
      if (live.length === 1 && live[0]?.id === id) return 'last_key';
      const [row] = await trx('api_keys')
        .where({ project_id: projectId, id })
        .update({ revoked_at: trx.raw('coalesce(revoked_at, now())') })
        .returning(API_KEY_COLUMNS);
      return row ? toApiKey(row as ApiKeyRow) : 'not_found';
    });
  }
}
