// ecs_format.h — Elastic Common Schema (ECS 8.x) rendering of an alert.
// Mapped: @timestamp, event.{kind=alert,category,type,severity,module,provider,dataset},
// log.level, rule.name, message, host.hostname, process.* (proc.*), user.name/id,
// group.name, file.path (fd.name of file fds, fs.path.*), source/destination.ip/port
// (fd.cip/cport, fd.sip/sport), container.*, tags, labels (every output field, with '.'
// replaced by '_', as strings). Owner: outputs stage. Pure, thread safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "vigil/alert.h"

namespace vigil {

nlohmann::json EcsJsonObject(const Alert& alert);
std::string FormatEcsJson(const Alert& alert);

}  // namespace vigil
