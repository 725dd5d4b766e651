// Model and settings: model directory and backend, temperature, top-p, output budget (40K / 80K) and the system
// prompt preset. Edits an AppSettings value; the caller persists it.
#pragma once

#include "ui/AppSettings.h"

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace m1::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);
    AppSettings settings() const;

private:
    AppSettings m_base;
    QLineEdit* m_modelDir = nullptr;
    QComboBox* m_backend = nullptr;
    QLineEdit* m_endpoint = nullptr;
    QLineEdit* m_tokenizer = nullptr;
    QDoubleSpinBox* m_temperature = nullptr;
    QDoubleSpinBox* m_topP = nullptr;
    QComboBox* m_budget = nullptr;
    QComboBox* m_preset = nullptr;
};

}  // namespace m1::ui
