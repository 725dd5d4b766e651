// The app core's value types that travel in queued signals between the workers and the GUI thread.
// Include this header wherever such a signal is declared; registerMetatypes() runs once before the first connection.
#pragma once

#include "app/backends/ModelBackend.h"
#include "app/citations/Citation.h"
#include "app/session/Conversation.h"

#include <QMetaType>

Q_DECLARE_METATYPE(m1::app::Citation)
Q_DECLARE_METATYPE(m1::app::Turn)
Q_DECLARE_METATYPE(m1::app::ModelInfo)
Q_DECLARE_METATYPE(m1::app::SamplingSettings)

namespace m1::ui {
void registerMetatypes();
}
