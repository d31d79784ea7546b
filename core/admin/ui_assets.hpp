// The dashboard's static files (core/admin/ui), compiled into the engine by
// core/admin/embed_ui.cmake: the build tree's engine and an installed one serve the same
// files, and only those (a request can name nothing else).
#pragma once

#include <span>
#include <string_view>

namespace flowgate::admin {

struct UiAsset {
    std::string_view name;         // "app.js": a file directly in ui/
    std::string_view contentType;  // "text/javascript; charset=utf-8"
    std::string_view etag;         // strong, quoted: "\"<32 hex digits of its SHA-256>\""
    std::string_view body;
};

std::span<const UiAsset> uiAssets();

// The asset called exactly `name`, or nullptr.
inline const UiAsset* findUiAsset(std::string_view name) {
    for (const UiAsset& asset : uiAssets())
        if (asset.name == name) return &asset;
    return nullptr;
}

}  // namespace flowgate::admin
