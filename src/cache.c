/* dkms cache stats|clear: the artifact cache (artifact.h). */
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "artifact.h"
#include "log.h"

int action_cache(struct dkms *d)
{
	const char *what = d->cli->module ? d->cli->module : "stats";
	const char *cache = d->s.artifact_cache;
	if (str_empty(cache)) {
		info("The artifact cache is off (framework.conf: artifact_cache=\"\").");
		return 0;
	}
	if (streq(what, "stats")) {
		struct artifact_stats st;
		artifact_stats(cache, &st);
		printf("artifact cache: %s\nentries: %llu\nbytes: %llu\ncap: %llu\n", cache,
		       (unsigned long long)st.entries, (unsigned long long)st.bytes,
		       (unsigned long long)artifact_parse_size(d->s.artifact_cache_size));
		return 0;
	}
	if (streq(what, "clear")) {
		int r = artifact_clear(cache);
		if (r < 0) {
			error("Could not clear the artifact cache %s: %s", cache, strerror(-r));
			return EX_FAILED;
		}
		info("The artifact cache %s is empty.", cache);
		return 0;
	}
	error("Unknown cache command '%s': use dkms cache stats or dkms cache clear.", what);
	return EX_USAGE;
}
