import type { DomainEvents } from '../../domain-events.js';
import { ConflictError, NotFoundError } from '../../errors/app-error.js';
import { hashApiKey, newApiKey, newId, newProjectToken } from './credentials.js';
import type { ApiKeyRecord, Project, ProjectStore, ProjectToken } from './project-store.js';

/** How long a resolved project token is trusted before it is looked up again, in milliseconds. */
const TOKEN_CACHE_MS = 5_000;

export interface ProjectSettingsPatch {
  readonly name?: string | undefined;
  readonly autoCreateExperiments?: boolean | undefined;
  readonly allowedOrigins?: string[] | undefined;
  readonly autotrack?: Record<string, unknown> | undefined;
}

/** A new API key: the record, and the key itself, which is shown this once and never stored. */
export interface CreatedApiKey {
  readonly apiKey: ApiKeyRecord;
  readonly key: string;
}

/** Projects and their credentials. */
export class ProjectService {
  private readonly tokenCache = new Map<string, { project: Project; expiresAt: number }>();

  constructor(
    private readonly store: ProjectStore,
    private readonly events: DomainEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a project with one project token and one API key. */
  async createProject(
    name: string,
    ownerId?: string,
  ): Promise<{
    project: Project;
    token: ProjectToken;
    apiKey: CreatedApiKey;
  }> {
    const project = await this.store.insertProject(
      { id: newId(), name },
      ownerId === undefined ? undefined : { userId: ownerId, at: new Date(this.now()) },
    );
    const token = await this.createToken(project.id, 'default');
    const apiKey = await this.createApiKey(project.id, 'default');
    return { project, token, apiKey };
  }

  /** The projects the user is a member of, oldest first. */
  listProjectsOf(userId: string): Promise<Project[]> {
    return this.store.listProjectsOf(userId);
  }

  /** @throws NotFoundError when there is no such project. */
  async getProject(id: string): Promise<Project> {
    const project = await this.store.findProject(id);
    if (!project) throw new NotFoundError('project', id);
    return project;
  }

  listProjects(): Promise<Project[]> {
    return this.store.listProjects();
  }

  /** @throws NotFoundError when there is no such project. */
  async updateProject(id: string, patch: ProjectSettingsPatch): Promise<Project> {
    const project = await this.store.updateProject(id, patch);
    if (!project) throw new NotFoundError('project', id);
    this.tokenCache.clear();
    return project;
  }

  createToken(projectId: string, name: string): Promise<ProjectToken> {
    return this.store.insertToken({ id: newId(), projectId, token: newProjectToken(), name });
  }

  listTokens(projectId: string): Promise<ProjectToken[]> {
    return this.store.listTokens(projectId);
  }

  /** @throws NotFoundError when the project has no such token. */
  async revokeToken(projectId: string, id: string): Promise<ProjectToken> {
    const token = await this.store.revokeToken(projectId, id);
    if (!token) throw new NotFoundError('token', id);
    this.tokenCache.delete(token.token);
    return token;
  }

  async createApiKey(projectId: string, name: string): Promise<CreatedApiKey> {
    const { key, prefix, hash } = newApiKey();
    const apiKey = await this.store.insertApiKey({
      id: newId(),
      projectId,
      name,
      prefix,
      keyHash: hash,
    });
    return { apiKey, key };
  }

  listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys(projectId);
  }

  /**
   * @throws NotFoundError when the project has no such key; ConflictError when it is the
   *   project's last live key (the project would be locked out of the API).
   */
  async revokeApiKey(projectId: string, id: string): Promise<ApiKeyRecord> {
    const apiKey = await this.store.revokeApiKey(projectId, id);
    if (apiKey === 'last_key') {
      throw new ConflictError('This is the project’s last API key: create another one first', {
        field: 'keyId',
      });
    }
    if (apiKey === 'not_found') throw new NotFoundError('API key', id);
    this.events.emit('api-key:revoked', { projectId, apiKeyId: apiKey.id });
    return apiKey;
  }

  /**
   * The project of a live public token, or undefined. Answers from a cache for up to 5 seconds
   * (a revocation on this server applies at once, on another one within those seconds).
   */
  async projectForToken(token: string): Promise<Project | undefined> {
    const cached = this.tokenCache.get(token);
    if (cached && cached.expiresAt > this.now()) return cached.project;
    const project = await this.store.findProjectByToken(token);
    if (project) this.tokenCache.set(token, { project, expiresAt: this.now() + TOKEN_CACHE_MS });
    else this.tokenCache.delete(token);
    return project;
  }

  /** The live API key with this secret, or undefined; records its use. */
  apiKeyForSecret(secret: string): Promise<ApiKeyRecord | undefined> {
    return this.store.useApiKey(hashApiKey(secret));
  }
}
