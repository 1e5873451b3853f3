"""The baseline of `cargo bench --bench apply`, scenario (c): what a user writes by hand with the
official Python SDK core (aliyun-python-sdk-core): one JoinSecurityGroup call per pair, one after
the other, with the SDK's defaults (its own retry policy, one keep-alive session).

Usage: python3 sdk_join_loop.py HOST:PORT PAIRS_FILE
  HOST:PORT   the ECS endpoint, e.g. an emulator's 127.0.0.1:8080 (plain http)
  PAIRS_FILE  one `SECURITY_GROUP_ID INSTANCE_ID` pair per line
Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, the region
from ALIBABA_CLOUD_REGION_ID (default cn-hangzhou). The SDK must be importable (PYTHONPATH=target/sdk/python
after `bash .ci/sdk-setup`).

Prints one JSON object on stdout: {"calls", "ok", "failed", "codes": {CODE: count}, "elapsed_s"},
where elapsed_s times the loop alone (not the interpreter's start). Exits 1 if any call failed.
"""

import json
import os
import sys
import time

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest


def main():
    endpoint, pairs_file = sys.argv[1:3]
    region = os.environ.get("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
    client = AcsClient(
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        region,
    )
    with open(pairs_file) as f:
        pairs = [line.split() for line in f if line.strip()]

    ok = 0
    codes = {}
    started = time.monotonic()
    for group, instance in pairs:
        request = CommonRequest()
        request.set_domain(endpoint)
        request.set_protocol_type("http")
        request.set_method("POST")
        request.set_version("2014-05-26")
        request.set_action_name("JoinSecurityGroup")
        request.add_query_param("RegionId", region)
        request.add_query_param("SecurityGroupId", group)
        request.add_query_param("InstanceId", instance)
        try:
            client.do_action_with_exception(request)
            ok += 1
        except (ServerException, ClientException) as e:
            code = e.get_error_code()
            codes[code] = codes.get(code, 0) + 1
    elapsed = time.monotonic() - started

    failed = len(pairs) - ok
    print(
        json.dumps(
            {"calls": len(pairs), "ok": ok, "failed": failed, "codes": codes, "elapsed_s": elapsed}
        ),
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
