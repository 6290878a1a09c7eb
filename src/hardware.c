#include "hardware.h"
#include "kernel.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <libkmod.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* The first line of a small sysfs file, or NULL. */
static char *sysfs_line(const char *dir, const char *name)
{
	_cleanup_free_ char *p = path_join(dir, name);
	char *text = NULL;
	if (read_file(p, &text, NULL) < 0)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	if (!*text) {
		free(text);
		return NULL;
	}
	return text;
}

/* The name of the driver a device's `driver` link points at. */
static char *bound_driver(const char *devdir)
{
	_cleanup_free_ char *link = path_join(devdir, "driver");
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	return xstrdup(slash ? slash + 1 : target);
}

void hw_devices_scan(const char *sysfs, struct hw_devices *out)
{
	*out = (struct hw_devices){0};
	_cleanup_free_ char *busdir = path_join(sysfs, "bus");
	_cleanup_strv_ char **buses = dir_list(busdir);
	for (size_t b = 0; buses && buses[b]; b++) {
		_cleanup_free_ char *devdir = xasprintf("%s/%s/devices", busdir, buses[b]);
		_cleanup_strv_ char **names = dir_list(devdir);
		for (size_t i = 0; names && names[i]; i++) {
			_cleanup_free_ char *dev = path_join(devdir, names[i]);
			char *alias = sysfs_line(dev, "modalias");
			if (!alias)
				continue;
			out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
			out->v[out->n++] = (struct hw_device){
				.bus = xstrdup(buses[b]), .name = xstrdup(names[i]), .modalias = alias,
				.driver = bound_driver(dev),
			};
		}
	}
}

void hw_devices_free(struct hw_devices *devs)
{
	for (size_t i = 0; i < devs->n; i++) {
		free(devs->v[i].bus);
		free(devs->v[i].name);
		free(devs->v[i].modalias);
		free(devs->v[i].driver);
	}
	free(devs->v);
	*devs = (struct hw_devices){0};
}

bool hw_alias_matches(const char *alias, const char *modalias)
{
	return alias && modalias && fnmatch(alias, modalias, 0) == 0;
}

bool hw_device_needs(const struct hw_device *dev, char *const *aliases)
{
	for (size_t i = 0; aliases && aliases[i]; i++)
		if (hw_alias_matches(aliases[i], dev->modalias))
			return true;
	return false;
}

/* The last `width` of the `digits` hex digits at p ("00008086" ->
 * "8086"), lower-cased; NULL when they are not all hex digits. */
static char *hex_id(const char *p, size_t digits, size_t width)
{
	for (size_t i = 0; i < digits; i++)
		if (!isxdigit((unsigned char)p[i]))
			return NULL;
	char *out = xstrndup(p + digits - width, width);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

/* "<bus> <vendor>:<product>" from "<prefix>v<n hex><key><n hex>...", as
 * pci:v00008086d00002723... and usb:v046DpC52B... are written. */
static char *vendor_product(const char *name, const char *modalias, size_t n, char key)
{
	const char *p = modalias + strlen(name) + 2; /* after "pci:v" */
	if (strlen(p) < 2 * n + 1 || p[n] != key)
		return NULL;
	_cleanup_free_ char *ven = hex_id(p, n, 4);
	_cleanup_free_ char *dev = hex_id(p + n + 1, n, 4);
	if (!ven || !dev)
		return NULL;
	char *out = xasprintf("%s %s:%s", name, ven, dev);
	for (char *c = out; *c != ' '; c++)
		*c = (char)toupper((unsigned char)*c);
	return out;
}

char *hw_modalias_short(const char *bus, const char *modalias)
{
	char *id = NULL;
	if (startswith(modalias, "pci:v"))
		id = vendor_product("pci", modalias, 8, 'd');
	else if (startswith(modalias, "usb:v"))
		id = vendor_product("usb", modalias, 4, 'p');
	if (id)
		return id;
	const char *colon = strchr(modalias, ':');
	return xasprintf("%s %s", bus, colon ? colon + 1 : modalias);
}

char *hw_device_describe(const struct hw_device *dev)
{
	_cleanup_free_ char *id = hw_modalias_short(dev->bus, dev->modalias);
	if (dev->driver)
		return xasprintf("%s (%s) bound to %s", id, dev->name, dev->driver);
	return xasprintf("%s (%s), no driver bound", id, dev->name);
}

/* One key=value of the module's information into mi. */
static void modfile_take(struct modfile_info *mi, const char *key, const char *value)
{
	if (!value)
		return;
	if (streq(key, "alias")) {
		strv_pushdup(&mi->aliases, value);
	} else if (streq(key, "vermagic") && !mi->vermagic) {
		mi->vermagic = xstrndup(value, strcspn(value, " "));
	} else if (streq(key, "signer") && !mi->signer) {
		mi->signer = xstrdup(value);
	} else if (streq(key, "sig_key") && !mi->sig_key) {
		mi->sig_key = xstrdup(value);
	}
}

int modfile_read(const char *path, struct modfile_info *mi)
{
	*mi = (struct modfile_info){.aliases = xcalloc(1, sizeof(char *))};
	struct kmod_ctx *ctx = kmod_context();
	if (!ctx)
		return -ENOMEM;
	struct kmod_module *mod = NULL;
	int r = kmod_module_new_from_path(ctx, path, &mod);
	if (r < 0)
		return r;
	struct kmod_list *list = NULL, *l;
	r = kmod_module_get_info(mod, &list);
	if (r >= 0) {
		kmod_list_foreach(l, list)
			modfile_take(mi, kmod_module_info_get_key(l), kmod_module_info_get_value(l));
		kmod_module_info_free_list(list);
		r = 0;
	}
	kmod_module_unref(mod);
	return r;
}

void modfile_info_free(struct modfile_info *mi)
{
	strv_free(mi->aliases);
	free(mi->vermagic);
	free(mi->signer);
	free(mi->sig_key);
	*mi = (struct modfile_info){0};
}
