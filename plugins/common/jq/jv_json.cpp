#include "jv_json.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace flowgate::plugins::jq {

namespace {

// Both directions recurse; a bound keeps a hostile document or program from exhausting a
// worker thread's stack.
constexpr int kMaxDepth = 1000;

void checkDepth(int depth) {
    if (depth > kMaxDepth)
        throw std::invalid_argument("JSON nested deeper than " + std::to_string(kMaxDepth) +
                                    " levels");
}

Jv stringToJv(const std::string& text) {
    if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::invalid_argument("string too long for jq");
    // Sized: the text may hold NUL characters.
    return Jv(jv_string_sized(text.data(), static_cast<int>(text.size())));
}

Jv toJvAt(const nlohmann::json& value, int depth) {
    checkDepth(depth);
    switch (value.type()) {
        case nlohmann::json::value_t::null:
        case nlohmann::json::value_t::discarded:
            return Jv(jv_null());
        case nlohmann::json::value_t::boolean:
            return Jv(jv_bool(value.get<bool>()));
        case nlohmann::json::value_t::number_integer:
            return Jv(jv_number(static_cast<double>(value.get<std::int64_t>())));
        case nlohmann::json::value_t::number_unsigned:
            return Jv(jv_number(static_cast<double>(value.get<std::uint64_t>())));
        case nlohmann::json::value_t::number_float:
            return Jv(jv_number(value.get<double>()));
        case nlohmann::json::value_t::string:
            return stringToJv(value.get_ref<const std::string&>());
        case nlohmann::json::value_t::array: {
            if (value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
                throw std::invalid_argument("array too long for jq");
            Jv array(jv_array_sized(static_cast<int>(value.size())));
            for (const auto& item : value)
                array = Jv(jv_array_append(array.release(), toJvAt(item, depth + 1).release()));
            return array;
        }
        case nlohmann::json::value_t::object: {
            Jv object(jv_object());
            for (const auto& [key, item] : value.items()) {
                Jv jvKey = stringToJv(key);
                Jv jvItem = toJvAt(item, depth + 1);
                object = Jv(jv_object_set(object.release(), jvKey.release(), jvItem.release()));
            }
            return object;
        }
        case nlohmann::json::value_t::binary:
            break;
    }
    throw std::invalid_argument("binary JSON values have no jq form");
}

nlohmann::json numberToJson(double number) {
    if (std::isnan(number)) return nullptr;
    if (std::isinf(number))
        return number > 0 ? std::numeric_limits<double>::max()
                          : std::numeric_limits<double>::lowest();
    // 2^63 is exact as a double; every integral double below it converts without overflow.
    constexpr double kTwoPow63 = 9223372036854775808.0;
    if (std::trunc(number) == number && number >= -kTwoPow63 && number < kTwoPow63)
        return static_cast<std::int64_t>(number);
    return number;
}

nlohmann::json toJsonAt(jv value, int depth) {
    checkDepth(depth);
    switch (jv_get_kind(value)) {
        case JV_KIND_NULL:
            return nullptr;
        case JV_KIND_TRUE:
            return true;
        case JV_KIND_FALSE:
            return false;
        case JV_KIND_NUMBER:
            return numberToJson(jv_number_value(value));
        case JV_KIND_STRING:
            return stringValue(value);
        case JV_KIND_ARRAY: {
            auto array = nlohmann::json::array();
            const int length = jv_array_length(jv_copy(value));
            for (int i = 0; i < length; ++i) {
                Jv item(jv_array_get(jv_copy(value), i));
                array.push_back(toJsonAt(item.get(), depth + 1));
            }
            return array;
        }
        case JV_KIND_OBJECT: {
            auto object = nlohmann::json::object();
            for (int it = jv_object_iter(value); jv_object_iter_valid(value, it);
                 it = jv_object_iter_next(value, it)) {
                Jv key(jv_object_iter_key(value, it));
                Jv item(jv_object_iter_value(value, it));
                object[stringValue(key.get())] = toJsonAt(item.get(), depth + 1);
            }
            return object;
        }
        case JV_KIND_INVALID:
            break;
    }
    throw std::invalid_argument("jq produced an invalid value");
}

}  // namespace

std::string stringValue(jv string) {
    return std::string(jv_string_value(string),
                       static_cast<std::size_t>(jv_string_length_bytes(jv_copy(string))));
}

Jv toJv(const nlohmann::json& value) { return toJvAt(value, 0); }

nlohmann::json toJson(jv value) { return toJsonAt(value, 0); }

}  // namespace flowgate::plugins::jq
