import { A, type RouteSectionProps, useParams } from '@solidjs/router';
import {
  type Accessor,
  createContext,
  createEffect,
  createResource,
  createSignal,
  ErrorBoundary,
  on,
  onCleanup,
  Show,
  useContext,
} from 'solid-js';
import { projectApi } from '../api/http.js';
import type { Notification, NotificationView, Project, Role } from '../api/types.js';
import { describeNotification } from '../format.js';
import { inRoom, onLive } from '../realtime/hooks.js';
import { command, liveSocket } from '../realtime/socket.js';
import { session } from '../session.js';
import { Failure } from './failure.js';
import { showToast, Toasts } from './toasts.js';
import { TopBar } from './top-bar.js';

export interface ProjectContextValue {
  readonly projectId: Accessor<string>;
  readonly project: Accessor<Project | undefined>;
  readonly role: Accessor<Role | undefined>;
  /** Unread notifications; pages that read them set it back. */
  readonly unread: Accessor<number>;
  readonly setUnread: (n: number) => void;
  /** Whether the live connection is up. */
  readonly connected: Accessor<boolean>;
}

const ProjectContext = createContext<ProjectContextValue>();

/** The current project (inside `ProjectLayout`). */
export function useProject(): ProjectContextValue {
  const value = useContext(ProjectContext);
  if (!value) throw new Error('useProject outside a project page');
  return value;
}

/**
 * Every project page: the project, its navigation, live notifications as toasts and a count,
 * and the project's room joined for as long as one of its pages is open.
 */
export function ProjectLayout(props: RouteSectionProps) {
  const params = useParams<{ projectId: string }>();
  const projectId = () => params.projectId;
  const [project] = createResource(projectId, (id) =>
    projectApi<{ project: Project }>(id, 'GET', '').then((r) => r.project),
  );
  const role = () => session.me()?.memberships.find((m) => m.projectId === projectId())?.role;
  const [unread, setUnread] = createSignal(0);
  createResource(projectId, async (id) => {
    const { notifications } = await projectApi<{ notifications: Notification[] }>(
      id,
      'GET',
      '/notifications',
    ).catch(() => ({ notifications: [] as Notification[] }));
    setUnread(notifications.filter((n) => n.readAt === null).length);
  });

  // The project's room: joined for this project, left when the dashboard moves to another one
  // or away; joined again after a reconnection.
  const socket = liveSocket();
  const [connected, setConnected] = createSignal(socket.connected);
  let joined: string | undefined;
  const leave = () => {
    if (joined) void command('project:leave', { projectId: joined }).catch(() => undefined);
    joined = undefined;
  };
  const join = () => {
    setConnected(true);
    if (joined !== projectId()) leave();
    joined = projectId();
    void command('project:join', { projectId: joined }).catch(() => undefined);
  };
  inRoom(join, leave);
  createEffect(on(projectId, () => socket.connected && join(), { defer: true }));
  const disconnected = () => {
    setConnected(false);
    joined = undefined; // a new connection starts in no room
  };
  socket.on('disconnect', disconnected);
  onCleanup(() => socket.off('disconnect', disconnected));
  onLive('notification:created', (n: NotificationView) => {
    if (n.projectId !== projectId()) return;
    setUnread(unread() + 1);
    showToast(describeNotification(n), n.kind === 'srm_detected' ? 'warn' : 'good');
  });

  const base = () => `/projects/${projectId()}`;
  return (
    <ProjectContext.Provider value={{ projectId, project, role, unread, setUnread, connected }}>
      <TopBar>
        <span class="project-name" title={project.error ? '' : (project()?.name ?? '')}>
          {project.error ? '' : (project()?.name ?? '')}
        </span>
        <nav aria-label="Project">
          <A href={base()} end>
            Experiments
          </A>
          <A href={`${base()}/live`}>Live events</A>
          <A href={`${base()}/notifications`}>
            Notifications
            <Show when={unread() > 0}>
              <span class="badge">
                {unread()}
                <span class="visually-hidden"> unread</span>
              </span>
            </Show>
          </A>
          <A href={`${base()}/setup`}>Set-up</A>
          <A href={`${base()}/settings`}>Settings</A>
        </nav>
        <span
          class={`dot ${connected() ? 'on' : 'off'}`}
          title={connected() ? 'Live' : 'Reconnecting…'}
        >
          <span class="visually-hidden">{connected() ? 'Live' : 'Reconnecting'}</span>
        </span>
      </TopBar>
      <main class="page">
        <Show when={!project.error} fallback={<Failure error={project.error} />}>
          <ErrorBoundary fallback={(error) => <Failure error={error} />}>
            {props.children}
          </ErrorBoundary>
        </Show>
      </main>
      <Toasts />
    </ProjectContext.Provider>
  );
}
