// The saga console: a page of the gateway that reads and repairs sagas through the GraphQL API
// with an admin's token, and follows the saga it shows through the orderStatusChanged
// subscription. It holds no data of its own; everything it shows is what the API answered.
// Text from the API is only ever set as text (textContent), never parsed as HTML.
(() => {
  const endpoint = `${window.location.origin}/graphql`;
  const STORE = 'sagaway.console.token';
  const $ = (id) => document.getElementById(id);
  const state = { token: '', filter: {}, after: null, pages: 0, selected: null, live: null, ws: null };

  const SAGA = `id orderId status currentStep failureReason cancelled definitionVersion startedAt updatedAt deadlineAt retryAt
    steps { name status attempts isCompensation startedAt finishedAt error }`;

  /** One GraphQL operation with the signed-in token; throws the first error's message and code. */
  async function gql(query, variables = {}) {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${state.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }));
    if (body.errors?.length) {
      const [first] = body.errors;
      const error = new Error(first.message);
      error.code = first.extensions?.code;
      throw error;
    }
    return body.data;
  }

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'class') node.className = value;
      else if (key.startsWith('data-')) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  };
  const badge = (status) => el('span', { class: `badge ${status}`, textContent: status });
  const time = (iso) =>
    iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '—';
  const duration = (from, to) => {
    if (!from || !to) return '';
    const ms = new Date(to).getTime() - new Date(from).getTime();
    return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
  };
  const pastDeadline = (saga) => saga.status === 'RUNNING' && new Date(saga.deadlineAt).getTime() < Date.now();

  function notice(text) {
    $('notice').hidden = !text;
    $('notice').textContent = text ?? '';
  }

  // --- Signing in -----------------------------------------------------------------------------

  function showSignIn(message) {
    $('signin').hidden = false;
    $('session').hidden = true;
    $('app').hidden = true;
    notice(message);
  }

  async function signIn(token) {
    state.token = token;
    try {
      await gql('query Probe { sagaCounts { status } }');
    } catch (err) {
      sessionStorage.removeItem(STORE);
      showSignIn(
        err.code === 'FORBIDDEN' || err.code === 'UNAUTHENTICATED'
          ? `This token cannot open the console (${err.code}): it needs an admin's token.`
          : `The gateway did not answer: ${err.message}`,
      );
      return;
    }
    sessionStorage.setItem(STORE, token);
    $('signin').hidden = true;
    $('session').hidden = false;
    $('who').textContent = `signed in as ${subjectOf(token)}`;
    $('app').hidden = false;
    notice(null);
    await refresh();
  }

  /** The token's subject, for display only (the gateway verifies the token; this page never does). */
  function subjectOf(token) {
    try {
      return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub ?? 'an admin';
    } catch {
      return 'an admin';
    }
  }

  /** A token from the link (`#token=…`), this tab's session, or — in development only — the demo admin's. */
  async function initialToken() {
    const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('token');
    if (fromHash) {
      history.replaceState(null, '', window.location.pathname);
      return fromHash;
    }
    const stored = sessionStorage.getItem(STORE);
    if (stored) return stored;
    const demo = await fetch('/console/demo-token.json').catch(() => undefined);
    return demo?.ok ? (await demo.json()).token : undefined;
  }

  // --- The list -------------------------------------------------------------------------------

  const STATUSES = ['RUNNING', 'COMPENSATING', 'STUCK', 'COMPLETED', 'COMPENSATED'];

  async function loadCounts() {
    const { sagaCounts } = await gql('query Counts { sagaCounts { status count } }');
    const total = sagaCounts.reduce((sum, c) => sum + c.count, 0);
    const chip = (status, count) =>
      el(
        'button',
        {
          type: 'button',
          class: (state.filter.status ?? '') === status ? 'on' : '',
          'data-status': status || 'ALL',
          onclick: () => {
            $('filters').elements.status.value = status;
            search();
          },
        },
        status ? badge(status) : 'All',
        el('b', { textContent: String(count) }),
      );
    const byStatus = new Map(sagaCounts.map((c) => [c.status, c.count]));
    $('counts').replaceChildren(chip('', total), ...STATUSES.map((s) => chip(s, byStatus.get(s) ?? 0)));
  }

  function filterFromForm() {
    const f = $('filters').elements;
    const filter = {};
    if (f.status.value) filter.status = f.status.value;
    if (f.step.value.trim()) filter.step = f.step.value.trim();
    if (f.startedAfter.value) filter.startedAfter = new Date(f.startedAfter.value).toISOString();
    if (f.startedBefore.value) filter.startedBefore = new Date(f.startedBefore.value).toISOString();
    if (f.pastDeadline.checked) filter.pastDeadline = true;
    return filter;
  }

  const SAGAS = `query Sagas($first: Int, $after: String, $status: SagaStatus, $step: String,
      $startedAfter: DateTime, $startedBefore: DateTime, $pastDeadline: Boolean) {
    sagas(first: $first, after: $after, status: $status, step: $step, startedAfter: $startedAfter,
      startedBefore: $startedBefore, pastDeadline: $pastDeadline) {
      edges { node { ${SAGA} } } pageInfo { hasNextPage endCursor } } }`;

  function row(saga) {
    const current = saga.steps.at(-1);
    const tr = el(
      'tr',
      { 'data-saga': saga.id, onclick: () => openSaga(saga.id) },
      el('td', { textContent: time(saga.startedAt) }),
      el('td', { class: 'mono', textContent: saga.orderId }),
      el('td', {}, badge(saga.status), pastDeadline(saga) ? el('span', { class: 'late', textContent: 'late' }) : null),
      el('td', { textContent: saga.currentStep ?? '—' }),
      el('td', { textContent: current ? String(current.attempts) : '—' }),
      el('td', { class: 'reason', textContent: current?.error ?? saga.failureReason ?? '' }),
      el('td', { textContent: time(saga.updatedAt) }),
    );
    if (saga.id === state.selected) tr.classList.add('selected');
    return tr;
  }

  async function loadPage(append) {
    const { sagas } = await gql(SAGAS, { ...state.filter, first: 25, after: append ? state.after : null });
    const rows = sagas.edges.map((e) => row(e.node));
    if (append) $('sagas').tBodies[0].append(...rows);
    else $('sagas').tBodies[0].replaceChildren(...rows);
    state.pages = append ? state.pages + 1 : 1;
    state.after = sagas.pageInfo.endCursor;
    $('more').hidden = !sagas.pageInfo.hasNextPage;
    $('empty').hidden = $('sagas').tBodies[0].rows.length > 0;
    $('bulk').hidden = !(state.filter.status === 'STUCK' && $('sagas').tBodies[0].rows.length > 0);
  }

  async function refresh() {
    try {
      await Promise.all([loadCounts(), loadPage(false)]);
    } catch (err) {
      notice(`Could not load the sagas: ${err.message}`);
    }
  }

  function search() {
    state.filter = filterFromForm();
    $('bulk-result').textContent = '';
    return refresh();
  }

  async function retryAll() {
    const button = $('retry-all');
    button.disabled = true;
    let total = 0;
    try {
      const filter = { ...state.filter, status: 'STUCK' };
      for (;;) {
        const { retrySagas } = await gql(
          'mutation RetryAll($filter: SagaFilter!) { retrySagas(filter: $filter) { retried hasMore } }',
          { filter },
        );
        total += retrySagas.retried;
        if (!retrySagas.hasMore || retrySagas.retried === 0) break;
      }
      $('bulk-result').textContent = `Resumed ${total} saga${total === 1 ? '' : 's'}.`;
    } catch (err) {
      $('bulk-result').textContent = `Resumed ${total}, then: ${err.message}`;
    } finally {
      button.disabled = false;
      await refresh();
    }
  }

  // --- One saga -------------------------------------------------------------------------------

  function renderSaga(saga) {
    $('d-id').textContent = saga.id;
    const facts = [
      ['Order', saga.orderId],
      ['Customer', saga.order?.customerId ?? '—'],
      ['Order status', saga.order?.status ?? '—'],
      ['Saga status', badge(saga.status)],
      ['Current step', saga.currentStep ?? '—'],
      ['Started', time(saga.startedAt)],
      ['Deadline', `${time(saga.deadlineAt)}${pastDeadline(saga) ? ' (passed)' : ''}`],
      ['Retry at', saga.retryAt ? time(saga.retryAt) : '—'],
      ['Reason', saga.failureReason ?? '—'],
      ['Cancelled', saga.cancelled ? 'yes' : 'no'],
      ['Definition', `v${saga.definitionVersion}`],
    ];
    $('d-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', {}, v)]));
    $('d-steps').replaceChildren(
      ...saga.steps.map((step) =>
        el(
          'li',
          { class: `step-${step.status}`, 'data-step': step.name },
          el('span', { class: 'name', textContent: step.name }),
          step.isCompensation ? el('span', { class: 'undo', textContent: 'compensation' }) : null,
          ' ',
          badge(step.status),
          el('div', {
            class: 'meta',
            textContent: `${step.attempts} attempt${step.attempts === 1 ? '' : 's'} · ${time(step.startedAt)}${
              step.finishedAt ? ` → ${duration(step.startedAt, step.finishedAt)}` : ' · in progress'
            }`,
          }),
          step.error ? el('div', { class: 'error', textContent: step.error }) : null,
        ),
      ),
    );
    $('d-retry').hidden = saga.status !== 'STUCK';
    const compensable =
      saga.status === 'RUNNING' || saga.status === 'STUCK' || (saga.status === 'COMPENSATING' && saga.retryAt);
    $('d-compensate').hidden = !compensable;
    for (const row of $('sagas').tBodies[0].rows) row.classList.toggle('selected', row.dataset.saga === saga.id);
  }

  async function loadSaga() {
    const { saga } = await gql(`query Saga($id: ID!) { saga(id: $id) { ${SAGA} order { id customerId status } } }`, {
      id: state.selected,
    });
    if (saga) renderSaga(saga);
    return saga;
  }

  function socket() {
    state.ws ??= graphqlWs.createClient({
      url: endpoint.replace(/^http/, 'ws'),
      connectionParams: () => ({ authorization: `Bearer ${state.token}` }),
      lazy: true,
    });
    return state.ws;
  }

  /** Follows the order's status events while the saga is shown: each one reloads the saga and the list. */
  function follow(orderId) {
    state.live?.();
    const live = $('d-live');
    live.className = 'live';
    live.textContent = 'connecting to live updates…';
    state.live = socket().subscribe(
      {
        query: 'subscription Follow($orderId: ID!) { orderStatusChanged(orderId: $orderId) { status version at } }',
        variables: { orderId },
      },
      {
        next: ({ data, errors }) => {
          if (errors?.length) {
            live.textContent = `live updates refused: ${errors[0].message}`;
            return;
          }
          const event = data.orderStatusChanged;
          live.className = 'live on';
          live.textContent = `live · order ${event.status} (version ${event.version}) at ${time(event.at)}`;
          void loadSaga().then(refresh);
        },
        error: (err) => {
          live.className = 'live';
          live.textContent = `live updates stopped: ${err?.message ?? err?.reason ?? 'connection closed'}`;
        },
        complete: () => {
          live.className = 'live';
          live.textContent = `${live.textContent.replace(/^live · /, '')} — the order is final`;
        },
      },
    );
  }

  async function openSaga(id) {
    state.selected = id;
    $('detail').hidden = false;
    $('d-result').textContent = '';
    $('d-reason').value = '';
    try {
      const saga = await loadSaga();
      if (saga) follow(saga.orderId);
    } catch (err) {
      $('d-result').textContent = err.message;
    }
  }

  async function act(mutation, variables, done) {
    $('d-result').textContent = '';
    try {
      await gql(mutation, variables);
      $('d-result').textContent = done;
    } catch (err) {
      $('d-result').textContent = `${err.code ?? 'ERROR'}: ${err.message}`;
    }
    await loadSaga().catch(() => {});
    await refresh();
  }

  // --- Wiring ---------------------------------------------------------------------------------

  $('signin').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn($('token').value.trim());
  });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem(STORE);
    state.live?.();
    void state.ws?.dispose();
    state.ws = null;
    showSignIn('Signed out.');
  });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    void search();
  });
  $('more').addEventListener('click', () => void loadPage(true).catch((err) => notice(err.message)));
  $('retry-all').addEventListener('click', () => void retryAll());
  $('close').addEventListener('click', () => {
    state.live?.();
    state.selected = null;
    $('detail').hidden = true;
  });
  $('d-retry').addEventListener('click', async () => {
    const { saga } = await gql('query Of($id: ID!) { saga(id: $id) { orderId } }', { id: state.selected });
    await act(
      'mutation Retry($orderId: ID!) { retrySaga(orderId: $orderId) { id } }',
      { orderId: saga.orderId },
      'Resumed: the compensation is sent again.',
    );
  });
  $('d-compensate').addEventListener('submit', async (e) => {
    e.preventDefault();
    const { saga } = await gql('query Of($id: ID!) { saga(id: $id) { orderId } }', { id: state.selected });
    const reason = $('d-reason').value.trim();
    await act(
      'mutation Compensate($orderId: ID!, $reason: String) { compensateSaga(orderId: $orderId, reason: $reason) { id } }',
      reason ? { orderId: saga.orderId, reason } : { orderId: saga.orderId },
      'Compensating: the steps that took effect are being undone.',
    );
  });

  // The counts and the first page follow the system on their own (a longer list stays as loaded).
  setInterval(() => {
    if (!$('app').hidden && document.visibilityState === 'visible' && state.pages === 1) void refresh();
  }, 10_000);

  void initialToken().then((token) => (token ? signIn(token) : showSignIn(null)));
})();
