// Drives the emulator with the official Node client (@alicloud/pop-core), unchanged.
//
// Usage: node node_client.js HOST:PORT ACCESS_KEY_ID ACCESS_KEY_SECRET
// Prints one JSON object per call: {"call": ..., "ok": bool, "code": ..., "body"/"message": ...}.
'use strict';

const RPCClient = require('@alicloud/pop-core').RPCClient;

const [endpoint, accessKeyId, accessKeySecret] = process.argv.slice(2);
const client = new RPCClient({
  accessKeyId,
  accessKeySecret,
  endpoint: `http://${endpoint}`,
  apiVersion: '2014-05-26',
});

async function call(name, action, params, method) {
  try {
    const body = await client.request(action, params, { method: method || 'GET' });
    console.log(JSON.stringify({ call: name, ok: true, body }));
  } catch (e) {
    console.log(JSON.stringify({
      call: name,
      ok: false,
      code: e.code || null,
      message: e.data ? e.data.Message : String(e),
      request_id: e.data ? e.data.RequestId : null,
    }));
  }
}

(async () => {
  await call('regions', 'DescribeRegions', { RegionId: 'cn-hangzhou' });
  await call('groups', 'DescribeSecurityGroups', {
    RegionId: 'cn-hangzhou',
    SecurityGroupIds: JSON.stringify(['sg-bp1web00000001', 'sg-bp1ent00000001']),
  });
  await call('leave', 'LeaveSecurityGroup', {
    RegionId: 'cn-hangzhou',
    InstanceId: 'i-bp1two000000001',
    SecurityGroupId: 'sg-bp1app00000001',
  }, 'POST');
  await call('leave_last', 'LeaveSecurityGroup', {
    RegionId: 'cn-hangzhou',
    InstanceId: 'i-bp1two000000001',
    SecurityGroupId: 'sg-bp1web00000001',
  }, 'POST');
  await call('modify', 'ModifyInstanceAttribute', {
    RegionId: 'cn-hangzhou',
    InstanceId: 'i-bp1modify000001',
    SecurityGroupIds: ['sg-bp1ent00000001', 'sg-bp1ent00000002'],
  });
})();
