import { randomUUID } from 'node:crypto';
import { requireKafka } from '../harness/index.ts';
import { createLogger } from '../kernel/index.ts';
import { createKafkaTransport } from '../messaging/index.ts';
import { describeTransportContract } from '../messaging/transport.contract.ts';

describeTransportContract('Kafka', async () => {
  const brokers = await requireKafka();
  return createKafkaTransport({
    brokers,
    clientId: 'contract-test',
    topicPrefix: `test-${randomUUID().slice(0, 8)}`,
    partitions: 3,
    logger: createLogger('error'),
  });
});
