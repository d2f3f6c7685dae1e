# Base images must come from the registries the organisation mirrors and scans.
package drydock.dockerfile.approved_registry

import rego.v1

metadata := {
	"id": "CUSTOM-DF-001",
	"title": "Base image from an unapproved registry",
	"severity": "high",
	"description": "Only images from approved registries are mirrored, scanned and signed.",
	"remediation": "Build FROM an image of registry.example.com/ or gcr.io/distroless/.",
}

approved_prefixes := ["registry.example.com/", "gcr.io/distroless/"]

# Earlier stages are referenced by name; scratch is no image at all.
stage_names contains lower(stage.name) if {
	some stage in input.stages
	stage.name
}

deny contains {"msg": msg, "line": stage.line} if {
	some stage in input.stages
	image := resolved(stage.image)
	not lower(image) in stage_names
	image != "scratch"
	not approved(image)
	msg := sprintf("stage %d is built FROM %s, which is not from an approved registry", [stage.index, image])
}

approved(image) if {
	some prefix in approved_prefixes
	startswith(image, prefix)
}

# `${NAME}` or `$NAME` in FROM, resolved from the default of a global ARG.
resolved(image) := arg.default if {
	some arg in input.args
	image in {sprintf("${%s}", [arg.name]), sprintf("$%s", [arg.name])}
	arg.default
} else := image
