/* dkms check: the verdicts and the report (check.h), from facts check.c
 * gathered; nothing here looks at the system. */
#include <string.h>

#include "check.h"
#include "status.h"

const char *check_state_name(enum check_state s)
{
	static const char *const names[] = {
		[CHECK_INSTALLED] = "installed", [CHECK_BUILT] = "built", [CHECK_FAILED] = "failed",
		[CHECK_EXCLUDED] = "excluded", [CHECK_MISSING_HEADERS] = "missing-headers",
		[CHECK_NOT_BUILT] = "not-built",
	};
	return names[s];
}

const char *check_verdict_name(enum check_verdict v)
{
	return v == VERDICT_READY ? "ready" : v == VERDICT_DEGRADED ? "degraded" : "unknown";
}

/* What became of a module that is not installed, in words that follow
 * "<name>/<version> ". */
static char *missing_phrase(const struct check_module *cm)
{
	switch (cm->state) {
	case CHECK_FAILED:
		if (cm->first_error || cm->reason)
			return xasprintf("failed to build: %s", cm->first_error ? cm->first_error : cm->reason);
		return xasprintf("failed to build (exit status %d)", cm->exit_code);
	case CHECK_BUILT:
		return xstrdup("is built but not installed");
	case CHECK_MISSING_HEADERS:
		return xasprintf("was not built: the kernel's headers are missing (install %s)",
				 cm->headers_package ? cm->headers_package : "them");
	case CHECK_NOT_BUILT:
		return xstrdup("is not built yet");
	default:
		return xstrdup("is installed");
	}
}

/* An installed module: it will not load, is missing from the initramfs,
 * or cannot be told. */
static enum check_verdict installed_impact(const struct check_module *cm, const char *needs, char **why)
{
	const char *n = cm->name, *v = cm->version;
	if (cm->will_load == TRI_NO) {
		*why = needs ? xasprintf("%s will not work: %s/%s will not load: %s", needs, n, v, cm->load_why)
			     : xasprintf("%s/%s will not load: %s", n, v, cm->load_why);
		return VERDICT_DEGRADED;
	}
	if (cm->initramfs == TRI_NO && needs) {
		*why = xasprintf("%s will not work while the system boots: %s/%s is not in the initramfs", needs, n, v);
		return VERDICT_DEGRADED;
	}
	if (cm->will_load == TRI_UNKNOWN) {
		*why = xasprintf("whether %s/%s will load is unknown: %s", n, v, cm->load_why);
		return VERDICT_UNKNOWN;
	}
	return VERDICT_READY;
}

enum check_verdict check_module_impact(const struct check_module *cm, char **why)
{
	char *text = NULL;
	enum check_verdict verdict = VERDICT_READY;
	_cleanup_free_ char *ids = cm->device_ids && cm->device_ids[0] ? strv_join(cm->device_ids, ", ") : NULL;
	_cleanup_free_ char *needs = ids ? xasprintf("%s (%s)", cm->name, ids) : NULL;
	if (cm->state == CHECK_INSTALLED) {
		verdict = installed_impact(cm, needs, &text);
	} else if (cm->state != CHECK_EXCLUDED) {
		_cleanup_free_ char *phrase = missing_phrase(cm);
		if (needs) {
			text = xasprintf("%s will not work: %s/%s %s", needs, cm->name, cm->version, phrase);
			verdict = VERDICT_DEGRADED;
		} else if (!cm->aliases_known) {
			text = xasprintf("%s/%s %s, and which devices it drives is unknown (no built copy of it)", cm->name,
					 cm->version, phrase);
			verdict = VERDICT_UNKNOWN;
		} else {
			/* a fact worth a word, not a problem */
			text = xasprintf("%s/%s %s, but no device on this machine uses it", cm->name, cm->version, phrase);
		}
	}
	if (why)
		*why = text;
	else
		free(text);
	return verdict;
}

void check_kernel_judge(struct check_kernel *ck)
{
	char **why[3] = {NULL, NULL, NULL};
	ck->verdict = VERDICT_READY;
	for (size_t i = 0; i < ck->n; i++) {
		char *w = NULL;
		enum check_verdict v = check_module_impact(&ck->mods[i], &w);
		if (v > ck->verdict)
			ck->verdict = v;
		if (w)
			strv_push(&why[v], w);
	}
	free(ck->summary);
	ck->summary = why[ck->verdict] ? strv_join(why[ck->verdict], "; ") : xstrdup("");
	for (size_t v = 0; v < ARRAY_SIZE(why); v++)
		strv_free(why[v]);
}

/* ---- text ------------------------------------------------------------ */

static const char *tri_word(enum check_tri t, const char *yes, const char *no)
{
	return t == TRI_YES ? yes : t == TRI_NO ? no : "unknown";
}

/* The module's first detail line: its state, in words. */
static void text_state(struct strbuf *out, const struct check_module *cm)
{
	strbuf_appendf(out, "  %s/%s: ", cm->name, cm->version);
	switch (cm->state) {
	case CHECK_INSTALLED:
		strbuf_append(out, cm->verified == TRI_YES ? "installed and verified" : "installed");
		if (cm->verified == TRI_NO)
			strbuf_appendf(out, ", but %s", cm->problem);
		strbuf_appendf(out, "; %s%s", cm->signed_by ? "signed by " : "not signed",
			       cm->signed_by ? cm->signed_by : "");
		strbuf_appendf(out, "; will load: %s", tri_word(cm->will_load, "yes", "no"));
		if (cm->will_load != TRI_YES && cm->load_why)
			strbuf_appendf(out, " (%s)", cm->load_why);
		break;
	case CHECK_EXCLUDED:
		strbuf_appendf(out, "not built for this kernel by its own rule (BUILD_EXCLUSIVE%s%s)",
			       cm->exclude_reason ? ": " : "", cm->exclude_reason ? cm->exclude_reason : "");
		break;
	default: {
		_cleanup_free_ char *phrase = missing_phrase(cm);
		strbuf_append(out, phrase);
		break;
	}
	}
	strbuf_append(out, "\n");
}

static void text_module(struct strbuf *out, const struct check_module *cm)
{
	text_state(out, cm);
	if (cm->state == CHECK_FAILED) {
		strbuf_appendf(out, "    exit status %d%s%s", cm->exit_code, cm->failed_at ? " at " : "",
			       cm->failed_at ? cm->failed_at : "");
		if (cm->log)
			strbuf_appendf(out, "; log: %s", cm->log);
		strbuf_append(out, "\n");
		if (cm->stale)
			strbuf_append(out, "    its source or dkms.conf has changed since: a new build may succeed\n");
	}
	if (cm->note)
		strbuf_appendf(out, "    %s\n", cm->note);
	if (!cm->aliases_known)
		strbuf_append(out, "    devices: unknown (no built copy of it says which devices it drives)\n");
	else if (!cm->devices || !cm->devices[0])
		strbuf_append(out, "    devices: no device on this machine uses it\n");
	for (size_t i = 0; cm->devices && cm->devices[i]; i++)
		strbuf_appendf(out, "    needed by: %s\n", cm->devices[i]);
	if (cm->initramfs != TRI_NA)
		strbuf_appendf(out, "    initramfs: %s\n", tri_word(cm->initramfs, "holds it", "does not hold it"));
}

/* Where our signing key stands, when Secure Boot makes it matter. */
static void text_key(struct strbuf *out, const struct secure_boot *sb)
{
	if (!sb->cert_exists)
		strbuf_append(out, "; there is no DKMS signing certificate yet (dkms generate_mok makes one)");
	else if (sb->key_enrolled == 1)
		strbuf_appendf(out, "; the DKMS signing certificate %s is enrolled", sb->cert);
	else if (sb->key_pending)
		strbuf_appendf(out, "; the enrolment of %s is pending: reboot and confirm it in the MOK manager",
			       sb->cert);
	else if (sb->key_enrolled == 0)
		strbuf_appendf(out, "; the DKMS signing certificate %s is not enrolled (mokutil --import %s, reboot, "
				    "and enrol it in the MOK manager)",
			       sb->cert, sb->cert);
	else
		strbuf_appendf(out, "; whether the DKMS signing certificate %s is enrolled is unknown", sb->cert);
}

static void text_secure_boot(struct strbuf *out, const struct secure_boot *sb)
{
	strbuf_appendf(out, "Secure Boot: %s", sb_state_name(sb->state));
	if (sb->state != SB_DISABLED)
		text_key(out, sb);
	strbuf_append(out, "\n");
}

void check_report_text(struct strbuf *out, const struct check_report *r, bool colour)
{
	static const char *const colours[] = {
		[VERDICT_READY] = "\033[32m", [VERDICT_UNKNOWN] = "\033[33m", [VERDICT_DEGRADED] = "\033[1;31m",
	};
	for (size_t i = 0; i < r->n; i++) {
		const struct check_kernel *ck = &r->kernels[i];
		strbuf_appendf(out, "%s: %s%s%s", ck->kernel, colour ? colours[ck->verdict] : "",
			       check_verdict_name(ck->verdict), colour ? "\033[0m" : "");
		if (ck->summary && *ck->summary)
			strbuf_appendf(out, " \u2014 %s", ck->summary);
		strbuf_append(out, "\n");
		if (ck->compiler_warning)
			strbuf_appendf(out, "  compiler: %s\n", ck->compiler_warning);
		for (size_t j = 0; j < ck->n; j++)
			text_module(out, &ck->mods[j]);
	}
	text_secure_boot(out, &r->sb);
}

/* ---- JSON ------------------------------------------------------------ */

static void json_key(struct strbuf *out, const char *key)
{
	strbuf_append(out, ", ");
	json_str(out, key);
	strbuf_append(out, ": ");
}

static void json_str_or_null(struct strbuf *out, const char *key, const char *s)
{
	json_key(out, key);
	if (s)
		json_str(out, s);
	else
		strbuf_append(out, "null");
}

static void json_tri(struct strbuf *out, const char *key, enum check_tri t)
{
	json_key(out, key);
	strbuf_append(out, t == TRI_YES ? "true" : t == TRI_NO ? "false" : "null");
}

static void json_strv(struct strbuf *out, const char *key, char *const *v)
{
	json_key(out, key);
	strbuf_append(out, "[");
	for (size_t i = 0; v && v[i]; i++) {
		strbuf_append(out, i ? ", " : "");
		json_str(out, v[i]);
	}
	strbuf_append(out, "]");
}

static void json_module(struct strbuf *out, const struct check_module *cm)
{
	bool failed = cm->state == CHECK_FAILED;
	strbuf_append(out, "{\"name\": ");
	json_str(out, cm->name);
	json_str_or_null(out, "version", cm->version);
	json_str_or_null(out, "state", check_state_name(cm->state));
	json_tri(out, "verified", cm->verified);
	json_str_or_null(out, "problem", cm->problem);
	json_key(out, "exit_code");
	if (failed)
		strbuf_appendf(out, "%d", cm->exit_code);
	else
		strbuf_append(out, "null");
	json_str_or_null(out, "first_error", failed ? (cm->first_error ? cm->first_error : cm->reason) : NULL);
	json_str_or_null(out, "log", cm->log);
	json_str_or_null(out, "failed_at", cm->failed_at);
	json_tri(out, "stale", failed ? (cm->stale ? TRI_YES : TRI_NO) : TRI_NA);
	json_str_or_null(out, "exclude_reason", cm->exclude_reason);
	json_str_or_null(out, "headers_package", cm->headers_package);
	json_tri(out, "aliases_known", cm->aliases_known ? TRI_YES : TRI_NO);
	json_strv(out, "devices", cm->devices);
	json_str_or_null(out, "signed_by", cm->signed_by);
	json_tri(out, "will_load", cm->will_load);
	json_str_or_null(out, "load_problem", cm->will_load == TRI_YES ? NULL : cm->load_why);
	json_tri(out, "initramfs", cm->initramfs);
	json_str_or_null(out, "note", cm->note);
	strbuf_append(out, "}");
}

static void json_secure_boot(struct strbuf *out, const struct secure_boot *sb)
{
	strbuf_append(out, "{\"state\": ");
	json_str(out, sb_state_name(sb->state));
	json_tri(out, "key_enrolled", !sb->cert_exists ? TRI_NO : sb->key_enrolled < 0 ? TRI_UNKNOWN
							: sb->key_enrolled ? TRI_YES : TRI_NO);
	json_tri(out, "key_pending", sb->key_pending ? TRI_YES : TRI_NO);
	json_str_or_null(out, "certificate", sb->cert_exists ? sb->cert : NULL);
	strbuf_append(out, "}");
}

void check_report_json(struct strbuf *out, const struct check_report *r)
{
	strbuf_append(out, "{\"kernels\": [");
	for (size_t i = 0; i < r->n; i++) {
		const struct check_kernel *ck = &r->kernels[i];
		strbuf_append(out, i ? ",\n  " : "\n  ");
		strbuf_append(out, "{\"kernel\": ");
		json_str(out, ck->kernel);
		json_str_or_null(out, "arch", ck->arch);
		json_str_or_null(out, "verdict", check_verdict_name(ck->verdict));
		json_str_or_null(out, "summary", ck->summary ? ck->summary : "");
		json_str_or_null(out, "compiler_warning", ck->compiler_warning);
		json_key(out, "modules");
		strbuf_append(out, "[");
		for (size_t j = 0; j < ck->n; j++) {
			strbuf_append(out, j ? ",\n    " : "\n    ");
			json_module(out, &ck->mods[j]);
		}
		strbuf_append(out, ck->n ? "\n  ]}" : "]}");
	}
	strbuf_append(out, r->n ? "\n],\n\"secure_boot\": " : "],\n\"secure_boot\": ");
	json_secure_boot(out, &r->sb);
	strbuf_append(out, "}\n");
}

/* ---- freeing --------------------------------------------------------- */

void check_module_free(struct check_module *cm)
{
	char **strings[] = {
		&cm->name, &cm->version, &cm->note, &cm->problem, &cm->signed_by, &cm->load_why, &cm->reason,
		&cm->first_error, &cm->log, &cm->failed_at, &cm->exclude_reason, &cm->headers_package,
	};
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		free(*strings[i]);
	strv_free(cm->device_ids);
	strv_free(cm->devices);
	*cm = (struct check_module){0};
}

void check_report_free(struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct check_kernel *ck = &r->kernels[i];
		for (size_t j = 0; j < ck->n; j++)
			check_module_free(&ck->mods[j]);
		free(ck->mods);
		free(ck->kernel);
		free(ck->arch);
		free(ck->summary);
		free(ck->compiler_warning);
	}
	free(r->kernels);
	sb_free(&r->sb);
	*r = (struct check_report){0};
}
