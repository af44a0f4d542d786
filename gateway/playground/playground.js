// The playground page: GraphiQL on this gateway, queries and mutations over HTTP, subscriptions
// over graphql-ws at the same path. The headers editor holds the token; GraphiQL sends the headers
// as graphql-ws connectionParams too, so `authorization` authenticates subscriptions as well.
(function () {
  const params = new URLSearchParams(window.location.search);
  const endpoint = window.location.origin + '/graphql';
  const fetcher = GraphiQL.createFetcher({
    url: endpoint,
    subscriptionUrl: endpoint.replace(/^http/, 'ws'),
  });
  const defaultQuery = [
    '# Your token goes in the Headers tab: { "authorization": "Bearer <token>" } (in development the',
    '# demo customer\'s is already there; npm start prints an admin\'s; npm run token -- <customerId> makes more).',
    '',
    'query Catalog {',
    '  products(first: 10) { edges { node { id sku name price available } } }',
    '}',
    '',
    '# mutation Place($id: ID!) {',
    '#   placeOrder(input: { items: [{ productId: $id, quantity: 1 }], paymentToken: "tok_visa" }) { order { id status } }',
    '# }',
    '',
    '# subscription Watch($orderId: ID!) {',
    '#   orderStatusChanged(orderId: $orderId) { status version reason order { totalAmount saga { currentStep } } }',
    '# }',
    '',
  ].join('\n');
  const render = (token) =>
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery,
        query: params.get('query') || undefined,
        variables: params.get('variables') || undefined,
        headers: params.get('headers') || undefined,
        defaultHeaders: `{\n  "authorization": "Bearer ${token ?? '<token>'}"\n}`,
        defaultEditorToolsVisibility: 'headers',
        shouldPersistHeaders: true,
      }),
    );
  // In development the gateway hands out the demo customer's token, so the first query just works.
  fetch('/playground/demo-token.json')
    .then((r) => (r.ok ? r.json() : {}))
    .then(
      (body) => render(body.token),
      () => render(undefined),
    );
})();
