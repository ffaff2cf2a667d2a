import { randomBytes } from 'node:crypto';
import { type Logger, pino } from 'pino';
import type { GitHubSettings } from '../../src/features/accounts/github-oauth.js';
import { createMailer } from '../../src/features/accounts/mailer.js';
import { type Mailbox, startMailbox } from './mailbox.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

/** A test server whose sign-in mail goes over SMTP to a real SMTP server, the mailbox. */
export interface ServerWithMail {
  readonly server: TestServer;
  readonly mailbox: Mailbox;
  close(): Promise<void>;
}

/**
 * Starts a mailbox, then a test server that mails through it, with a random session key, links
 * to `publicUrl` and, when given, GitHub sign-in.
 */
export async function startServerWithMail(
  options: TestServerOptions & {
    readonly publicUrl: string;
    readonly github?: GitHubSettings;
    readonly logger?: Logger;
  },
): Promise<ServerWithMail> {
  const { publicUrl, github, ...serverOptions } = options;
  const logger = options.logger ?? pino({ level: 'silent' });
  const mailbox = await startMailbox();
  const server = await startTestServer({
    ...serverOptions,
    publicUrl,
    logger,
    accounts: {
      sessionSecret: randomBytes(32),
      publicUrl,
      mailer: createMailer(
        mailbox.url,
        `Vibariant <no-reply@${new URL(publicUrl).hostname}>`,
        logger,
      ),
      github,
    },
  });
  return {
    server,
    mailbox,
    async close() {
      await server.close();
      await mailbox.close();
    },
  };
}
