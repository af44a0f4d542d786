import { randomUUID } from 'node:crypto';
import { createKafkaTransport } from '../messaging/kafka.ts';
import { describeTransportContract } from '../messaging/transport.contract.ts';
import { createLogger } from '../platform/logger.ts';
import { requireKafka } from './support/infrastructure.ts';

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
