// The gauges /metrics reads when it is scraped: database connections in use, the age of each
// published signing key, resident memory and uptime.
#pragma once

#include "core/clock.h"
#include "keys/key_manager.h"
#include "store/store.h"

namespace tessera::app {

// `keys` may be null (the HS256 mode keeps no keys). Both must outlive the process's metrics.
void register_gauges(store::Store& store, keys::KeyManager* key_manager, const core::Clock& clock);

}  // namespace tessera::app
