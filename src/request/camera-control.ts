import { z } from 'zod';

/** Camera movement as the official API takes it (`camera_control`), shared by every provider. */

export const CAMERA_CONTROL_TYPES = [
  'simple',
  'down_back',
  'forward_up',
  'right_turn_forward',
  'left_turn_forward',
] as const;
export const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;

/** The official docs: each axis is a float in [-10, 10]. */
const cameraAxis = z
  .number()
  .min(-10, 'must be between -10 and 10')
  .max(10, 'must be between -10 and 10');

export const cameraControlSchema = z
  .object({
    type: z.enum(CAMERA_CONTROL_TYPES),
    config: z
      .object({
        horizontal: cameraAxis.optional(),
        vertical: cameraAxis.optional(),
        pan: cameraAxis.optional(),
        tilt: cameraAxis.optional(),
        roll: cameraAxis.optional(),
        zoom: cameraAxis.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((value, context) => {
    if (value.type !== 'simple') {
      // The docs: the preset movements take no config ("leave it empty"); sending one anyway is
      // a request the provider may refuse after it was paid for.
      if (value.config !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['config'],
          message: `is only for type "simple"; leave it out for type "${value.type}"`,
        });
      }
      return;
    }
    const nonZero = CAMERA_AXES.filter((axis) => (value.config?.[axis] ?? 0) !== 0);
    if (nonZero.length !== 1) {
      context.addIssue({
        code: 'custom',
        path: ['config'],
        message: `type "simple" needs exactly one non-zero axis, one of: ${CAMERA_AXES.join(', ')}`,
      });
    }
  });
export type CameraControl = z.infer<typeof cameraControlSchema>;
