// field_registry.cpp — the static field table (see field_registry.h / field_table.h).
#include "vigil/field_registry.h"

#include <unordered_map>

#include "field_table.h"

namespace vigil {

std::string_view FieldTypeName(FieldType t) noexcept {
  switch (t) {
    case FieldType::kCharbuf: return "CHARBUF";
    case FieldType::kInt64: return "INT64";
    case FieldType::kUint64: return "UINT64";
    case FieldType::kBool: return "BOOL";
    case FieldType::kIpAddr: return "IPADDR";
    case FieldType::kIpNet: return "IPNET";
    case FieldType::kPort: return "PORT";
    case FieldType::kAbsTime: return "ABSTIME";
    case FieldType::kRelTime: return "RELTIME";
    case FieldType::kFlags: return "FLAGS";
  }
  return "?";
}

const std::vector<FieldInfo>& AllFields() {
  static const std::vector<FieldInfo> fields = {
#define VIGIL_X_FIELD_INFO(id, name, type, arg, desc) \
  FieldInfo{name, FieldType::type, FieldArg::arg, desc, static_cast<uint16_t>(FieldId::k##id)},
      VIGIL_FIELDS(VIGIL_X_FIELD_INFO)
#undef VIGIL_X_FIELD_INFO
  };
  return fields;
}

const FieldInfo* FindField(std::string_view name) noexcept {
  static const std::unordered_map<std::string_view, const FieldInfo*> index = [] {
    std::unordered_map<std::string_view, const FieldInfo*> m;
    for (const auto& f : AllFields()) m.emplace(f.name, &f);
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

}  // namespace vigil
