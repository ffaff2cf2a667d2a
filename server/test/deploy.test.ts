import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_DEFAULTS, loadConfig } from '../src/config.js';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('.env.example', () => {
  it('lists every variable the server reads, with its default', () => {
    const listed = new Map<string, string>();
    for (const line of read('.env.example').split('\n')) {
      const match = /^# ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (match) listed.set(match[1] ?? '', match[2] ?? '');
    }
    for (const [name, value] of Object.entries(CONFIG_DEFAULTS)) {
      expect(listed.get(name), name).toBe(value === undefined ? '' : String(value));
    }
  });
});

describe('configuration', () => {
  it('names the variable in its error, and takes an empty variable as unset', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^Invalid configuration: PORT: /);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET: /);
    expect(() => loadConfig({ OWNER_EMAIL: 'me' })).toThrow(/OWNER_EMAIL: /);
    expect(() => loadConfig({ SMTP_URL: 'garbage' })).toThrow(/SMTP_URL: must be an smtp:/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x@db/x' })).toThrow(/DATABASE_URL: must be/);
    expect(() => loadConfig({ GITHUB_CLIENT_ID: 'x' })).toThrow(
      /GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET/,
    );
    const config = loadConfig({ REDIS_URL: '', PORT: '', DATABASE_URL: '' });
    expect(config).toMatchObject({ redisUrl: undefined, port: 4000, databaseUrl: undefined });
  });
});

describe('docker-compose.yml', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the document is checked field by field
  const compose: any = parse(read('docker-compose.yml'), { merge: true });

  it('runs the app on a healthy PostgreSQL 16 with a volume', () => {
    const { postgres, app } = compose.services;
    expect(postgres.image).toMatch(/^postgres:16/);
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(postgres.volumes[0]).toMatch(/^postgres-data:/);
    expect(app.build).toBe('.');
    expect(app.depends_on.postgres.condition).toBe('service_healthy');
    expect(app.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
  });

  it('offers Redis and a second replica as profiles, and sets only known variables', () => {
    const { redis, 'app-2': replica, app } = compose.services;
    expect(redis.profiles).toEqual(['redis']);
    expect(replica.profiles).toEqual(['replicas']);
    expect(replica.environment).toEqual(app.environment);
    for (const name of Object.keys(app.environment)) expect(CONFIG_DEFAULTS).toHaveProperty(name);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const workspaces: string[] = JSON.parse(read('package.json')).workspaces;

  it("builds with CI's commands, from every workspace's manifest", () => {
    for (const workspace of workspaces) {
      expect(dockerfile).toContain(`COPY ${workspace}/package.json ${workspace}/`);
    }
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build && scripts\/package-runtime\.sh \/app$/m);
  });

  it('runs the server as `npm start` does, as an unprivileged user', () => {
    const server = JSON.parse(read('server/package.json'));
    const [, cmd] = /^CMD (\[.*\])$/m.exec(dockerfile) ?? [];
    const command: string[] = JSON.parse(cmd ?? '[]');
    expect(command.join(' ')).toBe(server.scripts.start.replace(' dist/', ' server/dist/'));
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
