"""Drives the emulator with the official Python SDK core (aliyun-python-sdk-core), unchanged.

Usage: python3 python_client.py HOST:PORT ACCESS_KEY_ID ACCESS_KEY_SECRET
Prints one JSON object per call: {"call": ..., "ok": bool, "code": ..., "body"/"message": ...}.
"""

import json
import sys

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

endpoint, key_id, secret = sys.argv[1:4]
client = AcsClient(key_id, secret, "cn-hangzhou")


def call(name, action, params, method="POST"):
    request = CommonRequest()
    request.set_domain(endpoint)
    request.set_protocol_type("http")
    request.set_method(method)
    request.set_version("2014-05-26")
    request.set_action_name(action)
    for key, value in params.items():
        request.add_query_param(key, value)
    try:
        body = json.loads(client.do_action_with_exception(request))
        print(json.dumps({"call": name, "ok": True, "body": body}), flush=True)
    except ServerException as e:
        print(
            json.dumps(
                {
                    "call": name,
                    "ok": False,
                    "status": e.get_http_status(),
                    "code": e.get_error_code(),
                    "message": e.get_error_msg(),
                    "request_id": e.get_request_id(),
                }
            ),
            flush=True,
        )


call("regions", "DescribeRegions", {"RegionId": "cn-hangzhou"}, method="GET")
call(
    "describe",
    "DescribeInstances",
    {"RegionId": "cn-hangzhou", "InstanceIds": json.dumps(["i-bp1web000000001"])},
)
call(
    "join",
    "JoinSecurityGroup",
    {"RegionId": "cn-hangzhou", "InstanceId": "i-bp1web000000001", "SecurityGroupId": "sg-bp1app00000001"},
)
call(
    "join_again",
    "JoinSecurityGroup",
    {"RegionId": "cn-hangzhou", "InstanceId": "i-bp1web000000001", "SecurityGroupId": "sg-bp1app00000001"},
)
call(
    "modify_eni",
    "ModifyNetworkInterfaceAttribute",
    {
        "RegionId": "cn-hangzhou",
        "NetworkInterfaceId": "eni-bp1sec00000002",
        "SecurityGroupId.1": "sg-bp1db000000001",
        "SecurityGroupId.2": "sg-bp1web00000001",
    },
)
