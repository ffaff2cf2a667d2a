import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

/** A message to one person. */
export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Sends mail. */
export interface Mailer {
  /** @throws the transport's error when the message could not be handed over. */
  send(mail: Mail): Promise<void>;
}

/**
 * Mail through SMTP (`smtpUrl`, e.g. `smtp://user:pass@mail.example.com:587`, or `smtps://…`)
 * with nodemailer; without one, each message is written to the log instead, so that sign-in
 * works on a machine with no mail server (`npm start` locally).
 */
export function createMailer(smtpUrl: string | undefined, from: string, logger: Logger): Mailer {
  if (!smtpUrl) {
    return {
      async send(mail) {
        logger.info(
          { to: mail.to, subject: mail.subject, text: mail.text },
          'no SMTP_URL configured: this message was not sent, it is logged here',
        );
      },
    };
  }
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
  };
}
