#include "ui/Metatypes.h"

namespace m1::ui {

void registerMetatypes() {
    qRegisterMetaType<m1::app::Citation>();
    qRegisterMetaType<m1::app::Turn>();
    qRegisterMetaType<m1::app::ModelInfo>();
    qRegisterMetaType<m1::app::SamplingSettings>();
}

}  // namespace m1::ui
