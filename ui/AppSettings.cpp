#include "ui/AppSettings.h"

#include <QSettings>

namespace m1::ui {

AppSettings AppSettings::load(const QSettings& store) {
    AppSettings s;
    s.modelDir = store.value(QStringLiteral("model/dir"), s.modelDir).toString();
    s.backend = store.value(QStringLiteral("model/backend"), s.backend).toString();
    if (s.backend != QLatin1String("cpu") && s.backend != QLatin1String("cuda")) s.backend = QStringLiteral("cpu");
    s.endpoint = store.value(QStringLiteral("remote/endpoint"), s.endpoint).toString();
    s.tokenizerFile = store.value(QStringLiteral("remote/tokenizer"), s.tokenizerFile).toString();
    s.temperature = store.value(QStringLiteral("sampling/temperature"), s.temperature).toDouble();
    s.topP = store.value(QStringLiteral("sampling/top_p"), s.topP).toDouble();
    s.outputBudget = store.value(QStringLiteral("sampling/output_budget"), s.outputBudget).toInt();
    if (s.outputBudget != kBudget40K && s.outputBudget != kBudget80K) s.outputBudget = kBudget40K;
    s.systemPreset = store.value(QStringLiteral("prompt/preset"), s.systemPreset).toString();
    return s;
}

void AppSettings::save(QSettings& store) const {
    store.setValue(QStringLiteral("model/dir"), modelDir);
    store.setValue(QStringLiteral("model/backend"), backend);
    store.setValue(QStringLiteral("remote/endpoint"), endpoint);
    store.setValue(QStringLiteral("remote/tokenizer"), tokenizerFile);
    store.setValue(QStringLiteral("sampling/temperature"), temperature);
    store.setValue(QStringLiteral("sampling/top_p"), topP);
    store.setValue(QStringLiteral("sampling/output_budget"), outputBudget);
    store.setValue(QStringLiteral("prompt/preset"), systemPreset);
    store.sync();
}

m1::app::SamplingSettings AppSettings::sampling() const {
    m1::app::SamplingSettings s;
    s.temperature = temperature;
    s.topP = topP;
    s.maxOutputTokens = outputBudget;
    return s;
}

}  // namespace m1::ui
