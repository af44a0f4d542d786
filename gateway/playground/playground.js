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
    '# Put your token in the Headers tab: { "authorization": "Bearer <token>" }',
    '# (npm start prints one; npm run token -- <customerId> makes more).',
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
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      query: params.get('query') || undefined,
      variables: params.get('variables') || undefined,
      headers: params.get('headers') || undefined,
      defaultHeaders: '{\n  "authorization": "Bearer <token>"\n}',
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: true,
    }),
  );
})();
