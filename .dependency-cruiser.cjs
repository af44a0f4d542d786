/**
 * The layering, checked by `npm run lint` (dependency-cruiser). From the bottom:
 *
 *   kernel/                 config, logger, errors, auth, http, money… — imports nothing of the project
 *   db/ cache/ messaging/   infrastructure libraries (messaging's inbox and outbox sit on db/)
 *   saga/                   the generic saga engine — no domain, no service
 *   runtime/                a service's process: infrastructure, lifecycle, subgraph hosting
 *   subgraphs/<name>/       one service each; none imports another
 *   gateway/                the gateway process; loads no subgraph, saga or composition code
 *   system/                 the composition root: the only code that knows every service
 *   harness/ tests/ scripts/  drive whole systems
 *   client/                 the SDK — imports nothing of the server
 *
 * Another folder reaches a library folder only through its public surface: `index.ts` (messaging
 * also `wire.ts`, the transports without the database side, for the gateway; kernel also
 * `gateway-signature.ts`, for the benchmark's vanilla gateway), plus `testing.ts` and `*.contract.ts`
 * for tests.
 */
const libraries = '(kernel|db|cache|messaging|saga|runtime|harness)';
const tests = '\\.(test|contract)\\.ts$';
const project = '^(kernel|db|cache|messaging|saga|runtime|subgraphs|gateway|system|harness|tests|scripts|client)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No cycle of runtime imports (a type-only cycle, e.g. generated resolver types, loads nothing).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'kernel-is-a-leaf',
      comment: 'The kernel imports nothing of the project.',
      severity: 'error',
      from: { path: '^kernel/' },
      to: { path: project, pathNot: '^kernel/' },
    },
    {
      name: 'libraries-below-services',
      comment: 'db, cache, messaging and saga know no runtime, service, gateway or composition.',
      severity: 'error',
      from: { path: '^(db|cache|messaging|saga)/', pathNot: tests },
      to: { path: '^(runtime|subgraphs|gateway|system|harness|tests|scripts|client)/' },
    },
    {
      name: 'infrastructure-libraries-apart',
      comment: 'db and cache stand alone; messaging may use db (inbox, outbox), never the cache or the saga engine.',
      severity: 'error',
      from: { path: '^(db|cache)/' },
      to: { path: '^(db|cache|messaging|saga)/', pathNot: '^$1/' },
    },
    {
      name: 'messaging-below-saga',
      severity: 'error',
      from: { path: '^messaging/' },
      to: { path: '^(cache|saga)/' },
    },
    {
      name: 'runtime-knows-no-service',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: '^(subgraphs|gateway|system|harness|tests|scripts|client)/' },
    },
    {
      name: 'services-independent',
      comment: 'A subgraph service never imports another one; they talk through Kafka and the gateway.',
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'services-know-no-gateway',
      severity: 'error',
      from: { path: '^subgraphs/' },
      to: { path: '^(gateway|system|harness|tests|scripts)/' },
    },
    {
      name: 'gateway-loads-no-service',
      comment: 'The gateway process loads no subgraph, saga engine or composition code (its tests may start a system).',
      severity: 'error',
      from: { path: '^gateway/', pathNot: tests },
      to: { path: '^(subgraphs|saga|system|harness|tests|scripts)/' },
    },
    {
      name: 'only-the-root-knows-services',
      comment: 'Outside system/, harness, tests and scripts nothing imports a subgraph service.',
      severity: 'error',
      from: { path: '^(kernel|db|cache|messaging|saga|runtime|client)/' },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'domain-without-apollo',
      comment: 'The pure domain of each service imports neither Apollo nor GraphQL.',
      severity: 'error',
      from: { path: '^subgraphs/(order/order|inventory/inventory|payment/payment)\\.ts$' },
      to: { path: '^node_modules/(@apollo|graphql)' },
    },
    {
      name: 'saga-engine-without-apollo',
      severity: 'error',
      from: { path: '^saga/' },
      to: { path: '^node_modules/(@apollo|graphql)' },
    },
    {
      name: 'sdk-imports-no-server',
      comment: 'The client SDK is installed by others: it imports nothing of the server.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: project, pathNot: '^client/' },
    },
    {
      name: 'public-surfaces',
      comment:
        'Another folder reaches a library through its index.ts (messaging also wire.ts, runtime also tracing.ts; tests also testing.ts and *.contract.ts).',
      severity: 'error',
      from: { path: '^([^/]+)/' },
      to: {
        path: `^${libraries}/.+\\.ts$`,
        pathNot: [
          '^$1/',
          '/(index|testing)\\.ts$',
          '^messaging/wire\\.ts$',
          // Loaded by entry points before anything else, so it imports nothing of the system.
          '^runtime/tracing\\.ts$',
          // The request signer on node:crypto alone, for the benchmark's vanilla gateway.
          '^kernel/gateway-signature\\.ts$',
          '\\.contract\\.ts$',
        ],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(\\.data|\\.kafka|docs)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
