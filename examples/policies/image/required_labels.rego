# Images must say where their source is; they should say which revision they were built from.
package drydock.image.required_labels

import rego.v1

metadata := {
	"id": "CUSTOM-IMG-002",
	"title": "Required OCI label missing",
	"severity": "medium",
	"description": "Every image must carry the OCI annotation labels that trace it back to its source.",
	"remediation": "Add LABEL org.opencontainers.image.source=<repository URL> (and .revision=<commit>) to the Dockerfile, or pass --label to the build.",
}

required := ["org.opencontainers.image.source"]

recommended := ["org.opencontainers.image.revision"]

deny contains {"msg": sprintf("the label %s is missing", [label]), "object": sprintf("config.Labels[%s]", [label])} if {
	some label in required
	not input.config.labels[label]
}

warn contains {"msg": sprintf("the label %s is missing", [label]), "object": sprintf("config.Labels[%s]", [label])} if {
	some label in recommended
	not input.config.labels[label]
}
