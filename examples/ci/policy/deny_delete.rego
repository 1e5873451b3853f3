# Deny a plan that deletes, as for Terraform plans: in sgform's plan JSON, as in Terraform's,
# `delete` is in a resource change's `change.actions` only for an address removed from the
# configuration (or any address of a destroy plan) whose memberships leave. A block that stays
# declared and changes is an `update`, even when its list is emptied. So removing a declaration
# needs a reviewer: this policy fails the job, and a person applies the plan by hand.
#
#   sgform plan --json > plan.json
#   conftest test --policy deny_delete.rego plan.json
#   opa eval --fail-defined -d deny_delete.rego -i plan.json 'data.main.deny[msg]'
package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
	msg := sprintf("%s is removed from the configuration and its memberships leave: removing a declaration needs review", [rc.address])
}

# A plan that failed (`"errored": true`) has no resource changes: it must not pass.
deny contains msg if {
	input.errored
	msg := "the plan failed (errored): see its diagnostics"
}
