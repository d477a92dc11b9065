/* lle/lle.h — umbrella header of liblle, the llm-efficiency measurement
 * library. Include this, link with -llle (pkg-config lle). */
#ifndef LLE_LLE_H
#define LLE_LLE_H

#include "lle/campaign.h"
#include "lle/config.h"
#include "lle/device.h"
#include "lle/energy.h"
#include "lle/error.h"
#include "lle/flops.h"
#include "lle/legacy.h"
#include "lle/log.h"
#include "lle/model.h"
#include "lle/remote.h"
#include "lle/results.h"
#include "lle/run.h"
#include "lle/store.h"
#include "lle/version.h"

#endif
