# Nothing may ship in /root/.ssh: keys there are credentials, authorized_keys a way in.
package drydock.image.no_root_ssh

import rego.v1

metadata := {
	"id": "CUSTOM-IMG-003",
	"title": "File under /root/.ssh",
	"severity": "critical",
	"description": "SSH keys and authorized_keys must never be part of an image.",
	"remediation": "Do not COPY SSH material into images; mount keys at run time or use build secrets (RUN --mount=type=ssh).",
	"cis": "CIS Docker Benchmark v1.6.0 4.10",
}

deny contains {"msg": msg, "path": file.path, "layer": file.layer} if {
	some file in input.files
	startswith(file.path, "/root/.ssh/")
	file.type != "dir"
	msg := sprintf("%s (%s, mode %s) was added by layer %d", [file.path, file.type, file.mode_octal, file.layer])
}
