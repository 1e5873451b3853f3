# Deny any change to the members of a protected security group: no instance or ENI joins or
# leaves a group listed in `data.sgform.protected_security_groups` (`data.json` beside this
# file), whichever block causes it — a `membership_set` that drops the group from a target, a
# `group_members` that lists one member less, a declaration removed, or a destroy plan.
#
# It reads sgform's `join` and `leave` lists of each resource change (every pair a change
# adds or removes, replacements included) rather than Terraform's `before`/`after`, whose shape
# differs per block type. A group ID from a sensitive variable shows as `(sensitive value)` and
# cannot be matched: do not make protected groups sensitive.
#
#   sgform plan --json > plan.json
#   conftest test --policy protected_groups.rego --data data.json plan.json
#   opa eval --fail-defined -d protected_groups.rego -d data.json -i plan.json 'data.main.deny[msg]'
package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	some verb in ["join", "leave"]
	some pair in rc[verb]
	pair.security_group_id in data.sgform.protected_security_groups
	msg := sprintf("%s: %s would %s protected security group %s", [rc.address, pair.target, verb, pair.security_group_id])
}

# Without the list, every plan would pass: fail instead.
deny contains msg if {
	not data.sgform.protected_security_groups
	msg := "no list of protected security groups: pass data.json as data (conftest --data, opa eval -d)"
}

# A plan that failed (`"errored": true`) has no resource changes: it must not pass.
deny contains msg if {
	input.errored
	msg := "the plan failed (errored): see its diagnostics"
}
