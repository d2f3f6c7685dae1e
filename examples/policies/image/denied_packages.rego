# Packages the organisation does not allow in images, by ecosystem and name, optionally only
# below a version (compared as SemVer where the version is SemVer).
package drydock.image.denied_packages

import rego.v1

metadata := {
	"id": "CUSTOM-IMG-001",
	"title": "Denied package installed",
	"severity": "high",
	"description": "The image installs a package on the organisation's deny list.",
	"remediation": "Remove the package, or upgrade it to the version the deny list names.",
}

denied := [
	{"type": "npm", "name": "lodash", "below": "4.17.21", "why": "prototype pollution, CVE-2021-23337"},
	{"type": "npm", "name": "event-stream", "why": "hijacked release carrying malware"},
	{"type": "pypi", "name": "pycrypto", "why": "unmaintained since 2013"},
	{"type": "deb", "name": "telnet", "why": "cleartext remote login"},
]

deny contains {"msg": msg, "path": pkg.locations[0].path} if {
	some pkg in input.packages
	some entry in denied
	pkg.type == entry.type
	pkg.name == entry.name
	version_denied(pkg.version, entry)
	msg := sprintf("%s %s %s is denied: %s", [pkg.type, pkg.name, pkg.version, entry.why])
}

version_denied(_, entry) if not entry.below

version_denied(version, entry) if {
	semver.is_valid(version)
	semver.compare(version, entry.below) < 0
}
