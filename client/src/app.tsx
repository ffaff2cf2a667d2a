import { Navigate, Route, Router, useNavigate } from '@solidjs/router';
import { createEffect, ErrorBoundary, type JSX, Match, Switch } from 'solid-js';
import { Failure } from './components/failure.js';
import { ProjectLayout } from './components/project-layout.js';
import { ExperimentRoute } from './pages/experiment.js';
import { ExperimentsPage } from './pages/experiments.js';
import { LiveEventsPage } from './pages/live-events.js';
import { NewExperimentPage } from './pages/new-experiment.js';
import { NotificationsPage } from './pages/notifications.js';
import { ProjectSetupPage } from './pages/project-setup.js';
import { ProjectsPage } from './pages/projects.js';
import { SettingsPage } from './pages/settings.js';
import { SignInPage } from './pages/sign-in.js';
import { session } from './session.js';

/** Shows `props.children` to a signed-in person, else sends them to the sign-in page. */
function SignedIn(props: { children?: JSX.Element }) {
  const navigate = useNavigate();
  createEffect(() => {
    if (session.me() === null) navigate('/sign-in', { replace: true });
  });
  return (
    <Switch fallback={<p class="loading">Loading…</p>}>
      <Match when={session.me.error}>
        <p role="alert">The server cannot be reached. Reload the page to try again.</p>
      </Match>
      <Match when={session.me()}>
        <ErrorBoundary fallback={(error) => <Failure error={error} />}>
          {props.children}
        </ErrorBoundary>
      </Match>
    </Switch>
  );
}

/** The dashboard's routes. */
export function App() {
  return (
    <Router>
      <Route path="/sign-in" component={SignInPage} />
      <Route path="/" component={(p) => <SignedIn>{p.children}</SignedIn>}>
        <Route path="/" component={ProjectsPage} />
        <Route path="/projects/:projectId" component={ProjectLayout}>
          <Route path="/" component={ExperimentsPage} />
          <Route path="/setup" component={ProjectSetupPage} />
          <Route path="/experiments/new" component={NewExperimentPage} />
          <Route path="/experiments/:key" component={ExperimentRoute} />
          <Route path="/live" component={LiveEventsPage} />
          <Route path="/notifications" component={NotificationsPage} />
          <Route path="/settings" component={SettingsPage} />
        </Route>
        <Route path="*" component={() => <Navigate href="/" />} />
      </Route>
    </Router>
  );
}
