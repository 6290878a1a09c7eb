#include <stdio.h>
#include "config.h"
int main(void) { printf("dkms-%s\n", DKMS_VERSION); return 0; }
