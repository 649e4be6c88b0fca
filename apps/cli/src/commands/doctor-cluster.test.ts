import { describe, expect, it } from 'vitest';
import { parseClusterNodes } from './doctor-cluster.ts';

describe('CLUSTER NODES as gavel doctor reads it', () => {
  it('reads masters, replicas and failed nodes; skips a node without an address', () => {
    // Lines in the format of https://redis.io/docs/latest/commands/cluster-nodes/ (Redis 7: ip:port@cport[,hostname]).
    const text = [
      '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-a slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
      '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922',
      '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master,fail - 1426238316232 1426238315000 3 connected',
      'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460',
      '6ec23923021cf3ffec47632106199cb7f496ce01 :0@0 master,noaddr - 1426238316232 1426238315000 5 disconnected',
      '',
    ].join('\n');
    expect(parseClusterNodes(text)).toEqual([
      { id: '07c37dfeb235213a872192d90877d0cd55635b91', host: '127.0.0.1', port: 30004, master: false, failed: false },
      { id: '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1', host: '127.0.0.1', port: 30002, master: true, failed: false },
      { id: '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f', host: '127.0.0.1', port: 30003, master: true, failed: true },
      { id: 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca', host: '127.0.0.1', port: 30001, master: true, failed: false },
    ]);
  });
});
