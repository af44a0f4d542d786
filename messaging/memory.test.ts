import { createMemoryTransport } from './memory.ts';
import { describeTransportContract } from './transport.contract.ts';

describeTransportContract('in-process', async () => createMemoryTransport());
