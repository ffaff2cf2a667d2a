import type { ProjectService } from './project-service.js';

/** Credentials of the project created on first start, shown once. */
export interface FirstProject {
  readonly projectId: string;
  readonly projectToken: string;
  readonly apiKey: string;
}

/**
 * On an empty database, creates a first project ("My project") so that a fresh install can
 * receive events at once; returns its credentials (the API key exists nowhere else in clear).
 * Returns null when the database already has a project.
 */
export async function ensureFirstProject(projects: ProjectService): Promise<FirstProject | null> {
  if ((await projects.listProjects()).length > 0) return null;
  const { project, token, apiKey } = await projects.createProject('My project');
  return { projectId: project.id, projectToken: token.token, apiKey: apiKey.key };
}
