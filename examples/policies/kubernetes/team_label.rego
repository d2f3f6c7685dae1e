# Every workload must say which team owns it, on the object and on the pods it creates.
package drydock.kubernetes.team_label

import rego.v1

metadata := {
	"id": "CUSTOM-K8S-001",
	"title": "Workload without a team label",
	"severity": "medium",
	"description": "Ownership labels route alerts and cost reports to the team that runs the workload.",
	"remediation": "Set metadata.labels.team (and the same label on spec.template.metadata.labels).",
}

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

deny contains sprintf("%s/%s has no metadata.labels.team", [input.raw.kind, input.raw.metadata.name]) if {
	input.raw.kind in workload_kinds
	not input.raw.metadata.labels.team
}

warn contains sprintf("the pod template of %s/%s has no team label", [input.raw.kind, input.raw.metadata.name]) if {
	input.raw.kind in workload_kinds
	input.raw.spec.template
	not input.raw.spec.template.metadata.labels.team
}
